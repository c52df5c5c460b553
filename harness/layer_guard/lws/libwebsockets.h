/* layer_guard/lws/libwebsockets.h - stands in front of the real header for every target but
 * the network layer (gp_net), so that including libwebsockets elsewhere fails to compile. */
#error "libwebsockets.h is for the network layer only (gp_net: runner*.c); see harness/CMakeLists.txt"
