// libzmq's header lives in /usr/include, so no pkgConfig (which would add -isystem warnings).
#include <zmq.h>
