// plinth_png_decode: libpng's classic read API with its errors caught here.
#include "CImageCodecs.h"

#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

// The in-memory file libpng reads, and where its error text goes.
typedef struct {
    const unsigned char *data;
    size_t size;
    size_t position;
    char *message;
    size_t message_size;
} png_source;

static void on_error(png_structp png, png_const_charp text) {
    png_source *source = png_get_error_ptr(png);
    snprintf(source->message, source->message_size, "%s", text);
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp text) {
    (void)png;
    (void)text;
}

static void on_read(png_structp png, png_bytep out, size_t count) {
    png_source *source = png_get_io_ptr(png);
    if (count > source->size - source->position) png_error(png, "unexpected end of data");
    memcpy(out, source->data + source->position, count);
    source->position += count;
}

int plinth_png_decode(const unsigned char *data, size_t size, unsigned char *pixels, size_t capacity,
                      plinth_png_image *image, char *message, size_t message_size) {
    png_source source = {data, size, 0, message, message_size};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &source, on_error, on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (info == NULL) {
        snprintf(message, message_size, "out of memory");
        png_destroy_read_struct(&png, NULL, NULL);
        return 1;
    }
    // png and info are not changed after this point, so they survive the longjmp.
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        return 1;
    }
    png_set_read_fn(png, &source, on_read);
    png_set_benign_errors(png, 1);
    png_read_info(png, info);
    png_set_expand(png);
    int passes = png_set_interlace_handling(png);
    png_read_update_info(png, info);
    png_uint_32 width = png_get_image_width(png, info), height = png_get_image_height(png, info);
    size_t row_bytes = png_get_rowbytes(png, info);
    if (height > 0 && row_bytes > capacity / height) png_error(png, "output buffer too small");
    // Each pass reads every row; libpng merges an interlaced pass's pixels into the full rows.
    for (int pass = 0; pass < passes; pass++) {
        for (png_uint_32 y = 0; y < height; y++) png_read_row(png, pixels + y * row_bytes, NULL);
    }
    image->width = width;
    image->height = height;
    image->channels = png_get_channels(png, info);
    image->bit_depth = png_get_bit_depth(png, info);
    png_destroy_read_struct(&png, &info, NULL);
    return 0;
}
