// MJPEG capture from a V4L2 camera (Linux) for `ladon-ingest --source /dev/videoN`, used by
// Sources/Shared/Stages/CameraSource.swift.
//
// The V4L2 calls need structs, ioctls and mmap that Swift reaches only clumsily, so they live here. Nothing
// in this file exits or prints; every failure comes back as a status code with a one-line message that
// names the call and the system's reason.
#ifndef LADON_VIDEO_CAPTURE_H
#define LADON_VIDEO_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    LADON_CAMERA_OK = 0,
    LADON_CAMERA_TIMEOUT = 1,        // no frame became ready within the timeout
    LADON_CAMERA_CANNOT_OPEN = 2,    // open(2) failed: missing path, no permission, busy
    LADON_CAMERA_NOT_A_CAMERA = 3,   // not a V4L2 video capture device that can stream
    LADON_CAMERA_NO_MJPEG = 4,       // the device does not offer Motion-JPEG
    LADON_CAMERA_FAILED = 5,         // a V4L2 call or mmap failed (the message names it)
    LADON_CAMERA_NO_MEMORY = 6,
} ladon_camera_status;

enum { LADON_CAMERA_MESSAGE_LENGTH = 256 };

typedef struct ladon_camera ladon_camera;

// One dequeued frame: `data` points into the driver's buffer `index` and stays valid until that buffer
// is given back with ladon_camera_requeue.
typedef struct {
    const uint8_t *data;
    size_t size;
    uint32_t index;
} ladon_camera_frame;

// Opens `path`, checks it is a streaming video capture device (VIDIOC_QUERYCAP), asks for MJPEG at
// width x height (VIDIOC_S_FMT; the driver may pick the nearest size it has), maps `buffers` driver
// buffers (VIDIOC_REQBUFS, QUERYBUF, mmap), queues them and starts streaming. On success *out owns
// the device; free it with ladon_camera_close. *width and *height receive the size the driver chose.
ladon_camera_status ladon_camera_open(const char *path, uint32_t width, uint32_t height, uint32_t buffers,
                                      ladon_camera **out, uint32_t *chosen_width, uint32_t *chosen_height,
                                      char message[LADON_CAMERA_MESSAGE_LENGTH]);

// Waits up to timeout_ms (0: just look) for a filled buffer and dequeues it (VIDIOC_DQBUF).
ladon_camera_status ladon_camera_dequeue(ladon_camera *camera, int timeout_ms, ladon_camera_frame *frame,
                                         char message[LADON_CAMERA_MESSAGE_LENGTH]);

// Gives a dequeued buffer back to the driver (VIDIOC_QBUF).
ladon_camera_status ladon_camera_requeue(ladon_camera *camera, uint32_t index,
                                         char message[LADON_CAMERA_MESSAGE_LENGTH]);

// Stops streaming, unmaps the buffers and closes the device. NULL is allowed.
void ladon_camera_close(ladon_camera *camera);

#endif
