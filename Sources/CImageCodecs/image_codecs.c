#include "image_codecs.h"

#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>
#include <jerror.h>

static void copy_message(char *message, const char *text) {
    snprintf(message, LADON_IMAGE_MESSAGE_LENGTH, "%s", text);
}

// MARK: JPEG

typedef struct {
    struct jpeg_error_mgr base;  // first, so a j_common_ptr's err can be cast to this
    jmp_buf recover;
    char message[JMSG_LENGTH_MAX];
    ladon_image_status status;  // what the longjmp reports (libjpeg's own errors: corrupt)
} ladon_jpeg_error;

// The progress monitor, with the scan limit it enforces.
typedef struct {
    struct jpeg_progress_mgr base;  // first, so cinfo->progress can be cast to this
    int max_scans;
    ladon_image *out;  // where the scan count of a refused file goes
} ladon_jpeg_progress;

static void ladon_jpeg_error_exit(j_common_ptr cinfo) {
    ladon_jpeg_error *error = (ladon_jpeg_error *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, error->message);
    longjmp(error->recover, 1);
}

// Never print. Warnings (level -1) about corrupt data are tolerated as PIL tolerates them, except
// running out of input: libjpeg would pad the image with grey, and that image is not the file's.
static void ladon_jpeg_emit_message(j_common_ptr cinfo, int level) {
    if (level == -1) {
        cinfo->err->num_warnings++;
        if (cinfo->err->msg_code == JWRN_JPEG_EOF) ladon_jpeg_error_exit(cinfo);
    }
}

static void ladon_jpeg_output_message(j_common_ptr cinfo) { (void)cinfo; }

// A multi-scan (progressive) file is read whole inside jpeg_start_decompress, which calls the monitor
// before each step of input and right after each SOS marker is read, so input_scan_number counts the
// scans as they arrive and a file with too many is refused before the extra scan's data is touched:
// each scan, however few bytes it has, costs a pass over every block of the image.
static void ladon_jpeg_monitor(j_common_ptr cinfo) {
    if (!cinfo->is_decompressor) return;
    j_decompress_ptr decompress = (j_decompress_ptr)cinfo;
    ladon_jpeg_progress *progress = (ladon_jpeg_progress *)cinfo->progress;
    int limit = progress->max_scans;
    if (decompress->input_scan_number > limit) {
        progress->out->scans = decompress->input_scan_number;
        ladon_jpeg_error *error = (ladon_jpeg_error *)cinfo->err;
        snprintf(error->message, sizeof error->message, "scan %d exceeds the limit of %d scans",
                 decompress->input_scan_number, limit);
        error->status = LADON_IMAGE_TOO_MANY_SCANS;
        longjmp(error->recover, 1);
    }
}

ladon_image_status ladon_jpeg_decode(const uint8_t *data, size_t size, int64_t max_pixels, int max_scans,
                                     ladon_image *out, char message[LADON_IMAGE_MESSAGE_LENGTH]) {
    memset(out, 0, sizeof *out);
    message[0] = 0;
    if (size == 0) {
        copy_message(message, "empty input");
        return LADON_IMAGE_CORRUPT;
    }
    struct jpeg_decompress_struct cinfo;
    memset(&cinfo, 0, sizeof cinfo);  // so jpeg_destroy is safe even if jpeg_create fails
    ladon_jpeg_error error;
    ladon_jpeg_progress progress = {.base = {.progress_monitor = ladon_jpeg_monitor}, .max_scans = max_scans, .out = out};
    // Touched after setjmp and read after longjmp, hence volatile.
    uint8_t *volatile pixels = NULL;

    cinfo.err = jpeg_std_error(&error.base);
    error.base.error_exit = ladon_jpeg_error_exit;
    error.base.emit_message = ladon_jpeg_emit_message;
    error.base.output_message = ladon_jpeg_output_message;
    error.message[0] = 0;
    error.status = LADON_IMAGE_CORRUPT;
    if (setjmp(error.recover)) {
        copy_message(message, error.message);
        jpeg_destroy_decompress(&cinfo);
        free(pixels);
        return error.status;
    }
    jpeg_create_decompress(&cinfo);
    cinfo.progress = &progress.base;
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);

    if (cinfo.jpeg_color_space != JCS_GRAYSCALE && cinfo.jpeg_color_space != JCS_YCbCr &&
        cinfo.jpeg_color_space != JCS_RGB) {
        snprintf(error.message, sizeof error.message, "colour space %d (CMYK/YCCK) is not supported",
                 (int)cinfo.jpeg_color_space);
        error.status = LADON_IMAGE_UNSUPPORTED;
        longjmp(error.recover, 1);
    }
    // The size comes from the SOF header, read by now; nothing of the image's size is allocated before
    // jpeg_start_decompress (coefficient buffers, sample rows) or the malloc below (the pixels).
    if ((int64_t)cinfo.image_width * (int64_t)cinfo.image_height > max_pixels) {
        snprintf(error.message, sizeof error.message, "%ux%u exceeds the limit of %lld pixels",
                 cinfo.image_width, cinfo.image_height, (long long)max_pixels);
        out->width = (int32_t)cinfo.image_width;
        out->height = (int32_t)cinfo.image_height;
        error.status = LADON_IMAGE_TOO_LARGE;
        longjmp(error.recover, 1);
    }
    // libjpeg's defaults are PIL's: JDCT_ISLOW, fancy upsampling on. Grey expands to R = G = B.
    cinfo.out_color_space = JCS_RGB;
    jpeg_start_decompress(&cinfo);

    size_t stride = (size_t)cinfo.output_width * 3;
    pixels = malloc(stride * cinfo.output_height);
    if (pixels == NULL) {
        copy_message(error.message, "out of memory");
        error.status = LADON_IMAGE_NO_MEMORY;
        longjmp(error.recover, 1);
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = pixels + stride * cinfo.output_scanline;
        jpeg_read_scanlines(&cinfo, &row, 1);
    }
    // Every pixel is read; a missing EOI marker after them does not matter, so no jpeg_finish_decompress.
    out->pixels = pixels;
    out->width = (int32_t)cinfo.output_width;
    out->height = (int32_t)cinfo.output_height;
    out->channels = 3;
    out->scans = cinfo.input_scan_number;
    jpeg_destroy_decompress(&cinfo);
    return LADON_IMAGE_OK;
}

// MARK: PNG (libpng's simplified API does its own setjmp and reports through image.message)

ladon_image_status ladon_png_decode(const uint8_t *data, size_t size, int64_t max_pixels,
                                    ladon_image *out, char message[LADON_IMAGE_MESSAGE_LENGTH]) {
    memset(out, 0, sizeof *out);
    message[0] = 0;
    if (size == 0) {
        copy_message(message, "empty input");
        return LADON_IMAGE_CORRUPT;
    }
    png_image image;
    memset(&image, 0, sizeof image);
    image.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_memory(&image, data, size)) {
        copy_message(message, image.message);
        png_image_free(&image);
        return LADON_IMAGE_CORRUPT;
    }
    if ((int64_t)image.width * (int64_t)image.height > max_pixels) {
        snprintf(message, LADON_IMAGE_MESSAGE_LENGTH, "%ux%u exceeds the limit of %lld pixels", image.width,
                 image.height, (long long)max_pixels);
        out->width = (int32_t)image.width;
        out->height = (int32_t)image.height;
        png_image_free(&image);
        return LADON_IMAGE_TOO_LARGE;
    }
    image.format &= PNG_FORMAT_FLAG_COLOR | PNG_FORMAT_FLAG_ALPHA;  // 8-bit, no colour map
    int32_t channels = (int32_t)PNG_IMAGE_SAMPLE_CHANNELS(image.format);
    size_t bytes = PNG_IMAGE_SIZE(image);
    uint8_t *pixels = malloc(bytes);
    if (pixels == NULL) {
        copy_message(message, "out of memory");
        png_image_free(&image);
        return LADON_IMAGE_NO_MEMORY;
    }
    if (!png_image_finish_read(&image, NULL, pixels, 0, NULL)) {
        copy_message(message, image.message);
        png_image_free(&image);
        free(pixels);
        return LADON_IMAGE_CORRUPT;
    }
    out->pixels = pixels;
    out->width = (int32_t)image.width;
    out->height = (int32_t)image.height;
    out->channels = channels;
    png_image_free(&image);
    return LADON_IMAGE_OK;
}

ladon_image_status ladon_png_encode(const uint8_t *pixels, int32_t width, int32_t height, int32_t channels,
                                    uint8_t **out, size_t *out_size,
                                    char message[LADON_IMAGE_MESSAGE_LENGTH]) {
    *out = NULL;
    *out_size = 0;
    message[0] = 0;
    if (width <= 0 || height <= 0 || (channels != 1 && channels != 3)) {
        snprintf(message, LADON_IMAGE_MESSAGE_LENGTH, "cannot encode %dx%d with %d channels", width, height,
                 channels);
        return LADON_IMAGE_BAD_ARGUMENT;
    }
    png_image image;
    memset(&image, 0, sizeof image);
    image.version = PNG_IMAGE_VERSION;
    image.width = (png_uint_32)width;
    image.height = (png_uint_32)height;
    image.format = channels == 3 ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY;
    // One compression pass into libpng's upper bound on the file size (compressing is most of the cost,
    // so measuring first would double it). A write that still runs out of room reports the size it needs
    // (the bound can overflow on 32-bit systems): then a second pass into exactly that.
    png_alloc_size_t capacity = PNG_IMAGE_PNG_SIZE_MAX(image);
    for (int attempt = 0; attempt < 2; attempt++) {
        uint8_t *buffer = malloc(capacity);
        if (buffer == NULL) {
            copy_message(message, "out of memory");
            png_image_free(&image);
            return LADON_IMAGE_NO_MEMORY;
        }
        png_alloc_size_t size = capacity;
        if (png_image_write_to_memory(&image, buffer, &size, 0, pixels, 0, NULL)) {
            png_image_free(&image);
            *out = buffer;
            *out_size = size;
            return LADON_IMAGE_OK;
        }
        free(buffer);
        if (size <= capacity) break;  // unchanged size: a real write error, not a short buffer
        capacity = size;
    }
    copy_message(message, image.message[0] ? image.message : "PNG write failed");
    png_image_free(&image);
    return LADON_IMAGE_CORRUPT;
}

void ladon_image_free(void *memory) { free(memory); }
