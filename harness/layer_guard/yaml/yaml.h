/* layer_guard/yaml/yaml.h - stands in front of the real header for every target but the
 * scenario loader (gp_scenario), so that including libyaml elsewhere fails to compile. */
#error "yaml.h is for the scenario loader only (gp_scenario: scenario_load.c); see harness/CMakeLists.txt"
