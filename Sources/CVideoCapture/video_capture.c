#include "video_capture.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/videodev2.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

enum { LADON_CAMERA_MAX_BUFFERS = 8 };

struct ladon_camera {
    int fd;
    uint32_t count;
    void *start[LADON_CAMERA_MAX_BUFFERS];
    size_t length[LADON_CAMERA_MAX_BUFFERS];
    int streaming;
};

static void say(char *message, const char *format, ...) {
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(message, LADON_CAMERA_MESSAGE_LENGTH, format, arguments);
    va_end(arguments);
}

// ioctl, retried while a signal interrupts it.
static int xioctl(int fd, unsigned long request, void *argument) {
    int result;
    do {
        result = ioctl(fd, request, argument);
    } while (result == -1 && errno == EINTR);
    return result;
}

static ladon_camera_status fail(ladon_camera *camera, ladon_camera_status status, char *message,
                                const char *call) {
    say(message, "%s failed: %s", call, strerror(errno));
    ladon_camera_close(camera);
    return status;
}

ladon_camera_status ladon_camera_open(const char *path, uint32_t width, uint32_t height, uint32_t buffers,
                                      ladon_camera **out, uint32_t *chosen_width, uint32_t *chosen_height,
                                      char message[LADON_CAMERA_MESSAGE_LENGTH]) {
    *out = NULL;
    message[0] = 0;
    if (buffers < 2) buffers = 2;
    if (buffers > LADON_CAMERA_MAX_BUFFERS) buffers = LADON_CAMERA_MAX_BUFFERS;

    ladon_camera *camera = calloc(1, sizeof *camera);
    if (!camera) {
        say(message, "out of memory");
        return LADON_CAMERA_NO_MEMORY;
    }
    camera->fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (camera->fd < 0) {
        int code = errno;
        free(camera);
        say(message, "cannot open: %s", strerror(code));
        return LADON_CAMERA_CANNOT_OPEN;
    }
    struct stat info;
    if (fstat(camera->fd, &info) == 0 && !S_ISCHR(info.st_mode)) {
        say(message, "not a V4L2 device (not a character device)");
        ladon_camera_close(camera);
        return LADON_CAMERA_NOT_A_CAMERA;
    }

    struct v4l2_capability capability;
    memset(&capability, 0, sizeof capability);
    if (xioctl(camera->fd, VIDIOC_QUERYCAP, &capability) == -1) {
        if (errno == ENOTTY || errno == EINVAL) {
            say(message, "not a V4L2 device (VIDIOC_QUERYCAP: %s)", strerror(errno));
            ladon_camera_close(camera);
            return LADON_CAMERA_NOT_A_CAMERA;
        }
        return fail(camera, LADON_CAMERA_FAILED, message, "VIDIOC_QUERYCAP");
    }
    uint32_t caps = (capability.capabilities & V4L2_CAP_DEVICE_CAPS) ? capability.device_caps : capability.capabilities;
    if (!(caps & V4L2_CAP_VIDEO_CAPTURE) || !(caps & V4L2_CAP_STREAMING)) {
        say(message, "'%s' is not a streaming video capture device", (const char *)capability.card);
        ladon_camera_close(camera);
        return LADON_CAMERA_NOT_A_CAMERA;
    }

    struct v4l2_format format;
    memset(&format, 0, sizeof format);
    format.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    format.fmt.pix.width = width;
    format.fmt.pix.height = height;
    format.fmt.pix.pixelformat = V4L2_PIX_FMT_MJPEG;
    format.fmt.pix.field = V4L2_FIELD_ANY;
    if (xioctl(camera->fd, VIDIOC_S_FMT, &format) == -1) return fail(camera, LADON_CAMERA_FAILED, message, "VIDIOC_S_FMT");
    // A driver without MJPEG answers with the nearest format it has instead of failing.
    if (format.fmt.pix.pixelformat != V4L2_PIX_FMT_MJPEG) {
        uint32_t fourcc = format.fmt.pix.pixelformat;
        say(message, "'%s' does not offer MJPEG (it offered %c%c%c%c)", (const char *)capability.card,
            (char)(fourcc & 0xff), (char)((fourcc >> 8) & 0xff), (char)((fourcc >> 16) & 0xff), (char)(fourcc >> 24));
        ladon_camera_close(camera);
        return LADON_CAMERA_NO_MJPEG;
    }
    *chosen_width = format.fmt.pix.width;
    *chosen_height = format.fmt.pix.height;

    struct v4l2_requestbuffers request;
    memset(&request, 0, sizeof request);
    request.count = buffers;
    request.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    request.memory = V4L2_MEMORY_MMAP;
    if (xioctl(camera->fd, VIDIOC_REQBUFS, &request) == -1) return fail(camera, LADON_CAMERA_FAILED, message, "VIDIOC_REQBUFS");
    if (request.count < 2) {
        say(message, "the driver granted %u buffer(s); need at least 2", request.count);
        ladon_camera_close(camera);
        return LADON_CAMERA_FAILED;
    }
    if (request.count > LADON_CAMERA_MAX_BUFFERS) request.count = LADON_CAMERA_MAX_BUFFERS;

    for (uint32_t index = 0; index < request.count; index++) {
        struct v4l2_buffer buffer;
        memset(&buffer, 0, sizeof buffer);
        buffer.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
        buffer.memory = V4L2_MEMORY_MMAP;
        buffer.index = index;
        if (xioctl(camera->fd, VIDIOC_QUERYBUF, &buffer) == -1) return fail(camera, LADON_CAMERA_FAILED, message, "VIDIOC_QUERYBUF");
        void *start = mmap(NULL, buffer.length, PROT_READ | PROT_WRITE, MAP_SHARED, camera->fd, buffer.m.offset);
        if (start == MAP_FAILED) return fail(camera, LADON_CAMERA_FAILED, message, "mmap");
        camera->start[index] = start;
        camera->length[index] = buffer.length;
        camera->count = index + 1;
        if (xioctl(camera->fd, VIDIOC_QBUF, &buffer) == -1) return fail(camera, LADON_CAMERA_FAILED, message, "VIDIOC_QBUF");
    }
    enum v4l2_buf_type type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    if (xioctl(camera->fd, VIDIOC_STREAMON, &type) == -1) return fail(camera, LADON_CAMERA_FAILED, message, "VIDIOC_STREAMON");
    camera->streaming = 1;
    *out = camera;
    return LADON_CAMERA_OK;
}

ladon_camera_status ladon_camera_dequeue(ladon_camera *camera, int timeout_ms, ladon_camera_frame *frame,
                                         char message[LADON_CAMERA_MESSAGE_LENGTH]) {
    message[0] = 0;
    struct pollfd item = {.fd = camera->fd, .events = POLLIN, .revents = 0};
    int ready;
    do {
        ready = poll(&item, 1, timeout_ms);
    } while (ready == -1 && errno == EINTR);
    if (ready == -1) {
        say(message, "poll failed: %s", strerror(errno));
        return LADON_CAMERA_FAILED;
    }
    if (ready == 0) return LADON_CAMERA_TIMEOUT;
    if (item.revents & (POLLERR | POLLHUP)) {
        say(message, "the device stopped streaming (unplugged?)");
        return LADON_CAMERA_FAILED;
    }

    struct v4l2_buffer buffer;
    memset(&buffer, 0, sizeof buffer);
    buffer.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    buffer.memory = V4L2_MEMORY_MMAP;
    if (xioctl(camera->fd, VIDIOC_DQBUF, &buffer) == -1) {
        if (errno == EAGAIN) return LADON_CAMERA_TIMEOUT;
        say(message, "VIDIOC_DQBUF failed: %s", strerror(errno));
        return LADON_CAMERA_FAILED;
    }
    if (buffer.index >= camera->count || buffer.bytesused > camera->length[buffer.index]) {
        say(message, "the driver returned buffer %u with %u bytes, outside what was mapped", buffer.index, buffer.bytesused);
        return LADON_CAMERA_FAILED;
    }
    frame->data = camera->start[buffer.index];
    frame->size = buffer.bytesused;
    frame->index = buffer.index;
    return LADON_CAMERA_OK;
}

ladon_camera_status ladon_camera_requeue(ladon_camera *camera, uint32_t index,
                                         char message[LADON_CAMERA_MESSAGE_LENGTH]) {
    message[0] = 0;
    struct v4l2_buffer buffer;
    memset(&buffer, 0, sizeof buffer);
    buffer.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    buffer.memory = V4L2_MEMORY_MMAP;
    buffer.index = index;
    if (xioctl(camera->fd, VIDIOC_QBUF, &buffer) == -1) {
        say(message, "VIDIOC_QBUF failed: %s", strerror(errno));
        return LADON_CAMERA_FAILED;
    }
    return LADON_CAMERA_OK;
}

void ladon_camera_close(ladon_camera *camera) {
    if (!camera) return;
    if (camera->streaming) {
        enum v4l2_buf_type type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
        xioctl(camera->fd, VIDIOC_STREAMOFF, &type);  // best effort: the device is being released anyway
    }
    for (uint32_t index = 0; index < camera->count; index++) munmap(camera->start[index], camera->length[index]);
    if (camera->fd >= 0) close(camera->fd);
    free(camera);
}
