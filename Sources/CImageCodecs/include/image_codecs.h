// JPEG decoding and PNG encoding/decoding for the Swift side (Sources/Shared/Image/Codecs.swift).
//
// libjpeg reports errors by calling error_exit, which must not return: recovering needs setjmp/longjmp,
// which Swift cannot use, so the recovery lives here. Nothing in this file exits or prints; every
// failure comes back as a status code with the library's own message.
#ifndef LADON_IMAGE_CODECS_H
#define LADON_IMAGE_CODECS_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    LADON_IMAGE_OK = 0,
    LADON_IMAGE_CORRUPT = 1,      // the bytes are not a decodable image (message says why)
    LADON_IMAGE_UNSUPPORTED = 2,  // a valid image of a kind we do not decode (e.g. CMYK JPEG)
    LADON_IMAGE_TOO_LARGE = 3,    // width * height exceeds the caller's limit
    LADON_IMAGE_NO_MEMORY = 4,
    LADON_IMAGE_BAD_ARGUMENT = 5, // programmer error: bad sizes or channel count
    LADON_IMAGE_TOO_MANY_SCANS = 6, // a JPEG with more scans than the caller's limit (message says which)
} ladon_image_status;

enum { LADON_IMAGE_MESSAGE_LENGTH = 256 };

// On LADON_IMAGE_TOO_LARGE only width and height are set, on LADON_IMAGE_TOO_MANY_SCANS only scans.
// Pixels are 8-bit, row-major, interleaved, `channels` per pixel; free them with ladon_image_free.
typedef struct {
    uint8_t *pixels;
    int32_t width;
    int32_t height;
    int32_t channels;
    int32_t scans;  // JPEG: the scans read (the one over the limit on LADON_IMAGE_TOO_MANY_SCANS)
} ladon_image;

// Decodes a baseline or progressive JPEG (greyscale or YCbCr) to RGB8 with libjpeg's defaults
// (integer slow DCT, fancy upsampling), as PIL decodes it. A file that ends before its image data
// does (libjpeg's "Premature end of JPEG file") is an error, not a grey-filled image. The header's
// width * height is checked against max_pixels before anything of the image's size is allocated, and
// a file reaching scan max_scans + 1 is refused before that scan is decoded.
ladon_image_status ladon_jpeg_decode(const uint8_t *data, size_t size, int64_t max_pixels, int max_scans,
                                     ladon_image *out, char message[LADON_IMAGE_MESSAGE_LENGTH]);

// Decodes a PNG to 8-bit pixels with the file's own channels: 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA
// (palettes expand to RGB(A); 16-bit samples are reduced to 8 bits by libpng).
ladon_image_status ladon_png_decode(const uint8_t *data, size_t size, int64_t max_pixels,
                                    ladon_image *out, char message[LADON_IMAGE_MESSAGE_LENGTH]);

// Encodes 8-bit grey (channels 1) or RGB (channels 3) pixels as a PNG; free *out with ladon_image_free.
ladon_image_status ladon_png_encode(const uint8_t *pixels, int32_t width, int32_t height, int32_t channels,
                                    uint8_t **out, size_t *out_size,
                                    char message[LADON_IMAGE_MESSAGE_LENGTH]);

void ladon_image_free(void *memory);

#endif
