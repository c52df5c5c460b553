# deploy/ checked offline with real validators from npm (ci/deploy-check): the Kubernetes
# manifests, the GitHub Actions workflow, the GitLab CI file, the Slurm scripts. Each check is
# also shown to fail on a broken file of its kind (fixtures/deploy/), naming the fault.
set(GP_DC ${PROJECT_SOURCE_DIR}/ci/deploy-check)
set(GP_DC_BAD ${PROJECT_SOURCE_DIR}/fixtures/deploy)

add_test(NAME deploy.check_all COMMAND ${GP_DC})
set_tests_properties(deploy.check_all PROPERTIES LABELS integration TIMEOUT 300
                     RESOURCE_LOCK gp_deploy_npm)

# gp_deploy_bad(NAME KIND FILE TEXT...) - the check of KIND rejects FILE (exit 1) and its
# output names every TEXT.
function(gp_deploy_bad name kind file)
  set(greps "")
  foreach(t ${ARGN})
    string(APPEND greps " && printf '%s\\n' \"$out\" | grep -qF -- '${t}'")
  endforeach()
  add_test(NAME deploy.rejects_${name}
           COMMAND sh -c "out=$('${GP_DC}' ${kind} '${GP_DC_BAD}/${file}'); rc=$?; printf '%s\\n' \"$out\"; [ $rc -eq 1 ]${greps}")
  set_tests_properties(deploy.rejects_${name} PROPERTIES LABELS integration TIMEOUT 300
                       RESOURCE_LOCK gp_deploy_npm DEPENDS deploy.check_all)
endfunction()

gp_deploy_bad(bad_indexed_job kubernetes bad-indexed-job.yaml
  "/spec/completionMode must be equal to one of the allowed values"
  "spec.parallelsm: no Kubernetes type has a field")
gp_deploy_bad(bad_workflow github bad-workflow.yml
  "property \"shrd\" is not defined" "needs job \"shards\" which does not exist")
gp_deploy_bad(bad_gitlab gitlab bad-gitlab-ci.yml
  "shard.paralel: not a GitLab CI job keyword" "shard.stage:" "merge.needs: no job")

# The Dockerfile for real (ci/docker-test): a private dockerd, a debootstrap base image, the
# project's image, a sharded run in containers as an Indexed Job would run it, the merge in a
# container. Minutes the first time (the base image is then kept in the build directory), so
# slow, and only in the plain build: the sanitizer and coverage builds test the same image.
if(NOT GP_SANITIZE AND NOT GP_COVERAGE)
  add_test(NAME deploy.docker_sharded_run
           COMMAND ${PROJECT_SOURCE_DIR}/ci/docker-test ${CMAKE_BINARY_DIR})
  set_tests_properties(deploy.docker_sharded_run PROPERTIES LABELS "integration;slow"
                       TIMEOUT 1200 SKIP_RETURN_CODE 77 RUN_SERIAL TRUE)
endif()

# deploy/slurm for real (ci/slurm-test): a private single-node Slurm cluster, submit.sh's job
# array and dependent merge job against the reference server, the merged report checked.
if(NOT GP_SANITIZE AND NOT GP_COVERAGE)
  add_test(NAME deploy.slurm_array_and_merge
           COMMAND ${PROJECT_SOURCE_DIR}/ci/slurm-test ${CMAKE_BINARY_DIR})
  set_tests_properties(deploy.slurm_array_and_merge PROPERTIES LABELS "integration;slow"
                       TIMEOUT 600 SKIP_RETURN_CODE 77 RUN_SERIAL TRUE)
endif()
