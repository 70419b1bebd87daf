// libpng and libjpeg decoders behind setjmp/longjmp error handlers written in C.
//
// Both libraries report a fatal error by longjmp, which Swift frames cannot
// take (they would be skipped without cleanup, or the process would abort).
// These functions catch every such error inside C and return it instead:
// - The return value is 0 on success, 1 on a fatal error.
// - On a fatal error, `message` holds the library's own text (NUL-terminated,
//   cut to `message_size` bytes), all library memory is freed, and `pixels`
//   may be partly written.
// - `pixels` receives the image row-major and interleaved, `[H, W, C]`, rows
//   packed; `capacity` is its size in bytes. An image that would not fit is a
//   fatal error ("output buffer too small"), never an overrun.
// - Nothing is printed; warnings are silent except as documented per function.
#ifndef PLINTH_CIMAGECODECS_H
#define PLINTH_CIMAGECODECS_H

#include <stddef.h>

// A `message` buffer of this size holds any libpng or libjpeg message
// (libjpeg's JMSG_LENGTH_MAX is 200).
#define PLINTH_CODEC_MESSAGE_MAX 256

// The shape of a decoded PNG.
typedef struct {
    unsigned width;
    unsigned height;
    // 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA.
    unsigned channels;
    // 8, or 16 with each sample stored big-endian in two bytes.
    unsigned bit_depth;
} plinth_png_image;

// Decodes the PNG file `data` (`size` bytes) with libpng's classic read API.
//
// Expansion as PIL loads it: palette -> RGB, gray below 8 bits -> 8 bits
// (bit replication), a valid tRNS chunk -> an alpha channel; 16-bit samples
// stay 16-bit; no gamma or colour-profile conversion. Benign errors (an
// invalid ancillary chunk, which libpng then drops) are warnings and ignored.
// Chunks after the image data are not read.
int plinth_png_decode(const unsigned char *data, size_t size, unsigned char *pixels, size_t capacity,
                      plinth_png_image *image, char *message, size_t message_size);

// The shape of a decoded JPEG and its corrupt-data warnings.
typedef struct {
    unsigned width;
    unsigned height;
    // 1 gray, 3 RGB, 4 CMYK as stored (Adobe files store it inverted).
    unsigned components;
    // libjpeg's corrupt-data warnings (bad Huffman code, premature end of
    // data, ...), not counting "extraneous bytes before marker", which is
    // common and harmless in camera files. On success with warnings > 0,
    // `message` holds the first counted warning.
    unsigned warnings;
} plinth_jpeg_image;

// Decodes the JPEG file `data` (`size` bytes) with libjpeg's decompress API
// and its defaults, as PIL uses them (islow IDCT, fancy upsampling). Output:
// gray for 1 component, CMYK for 4 (CMYK or YCCK files), RGB otherwise.
int plinth_jpeg_decode(const unsigned char *data, size_t size, unsigned char *pixels, size_t capacity,
                       plinth_jpeg_image *image, char *message, size_t message_size);

#endif
