// plinth_jpeg_decode: libjpeg's decompress API with its errors caught here.
#include "CImageCodecs.h"

#include <setjmp.h>
#include <string.h>
// jpeglib.h uses FILE and size_t without including their headers.
#include <stddef.h>
#include <stdio.h>
#include <jpeglib.h>
#include <jerror.h>

// libjpeg's error manager first, so libjpeg's `err` pointer is also this struct.
typedef struct {
    struct jpeg_error_mgr base;
    jmp_buf jump;
    plinth_jpeg_image *image;
    char *message;
    size_t message_size;
} error_manager;

static void copy_message(j_common_ptr cinfo, error_manager *err) {
    char text[JMSG_LENGTH_MAX];
    cinfo->err->format_message(cinfo, text);
    snprintf(err->message, err->message_size, "%s", text);
}

static void on_error_exit(j_common_ptr cinfo) {
    error_manager *err = (error_manager *)cinfo->err;
    copy_message(cinfo, err);
    longjmp(err->jump, 1);
}

// Level < 0 is a corrupt-data warning; levels >= 0 are trace messages.
static void on_emit_message(j_common_ptr cinfo, int level) {
    error_manager *err = (error_manager *)cinfo->err;
    if (level >= 0) return;
    cinfo->err->num_warnings++;
    if (cinfo->err->msg_code == JWRN_EXTRANEOUS_DATA) return;
    if (err->image->warnings++ == 0) copy_message(cinfo, err);
}

static void on_output_message(j_common_ptr cinfo) { (void)cinfo; }

// A failure found here rather than by libjpeg: reported the same way.
static void fail(error_manager *err, const char *text) {
    snprintf(err->message, err->message_size, "%s", text);
    longjmp(err->jump, 1);
}

int plinth_jpeg_decode(const unsigned char *data, size_t size, unsigned char *pixels, size_t capacity,
                       plinth_jpeg_image *image, char *message, size_t message_size) {
    struct jpeg_decompress_struct cinfo;
    error_manager err;
    // Zeroed, so that destroying after a failed create frees nothing.
    memset(&cinfo, 0, sizeof cinfo);
    memset(image, 0, sizeof *image);
    cinfo.err = jpeg_std_error(&err.base);
    err.base.error_exit = on_error_exit;
    err.base.emit_message = on_emit_message;
    err.base.output_message = on_output_message;
    err.image = image;
    err.message = message;
    err.message_size = message_size;
    if (setjmp(err.jump)) {
        jpeg_destroy_decompress(&cinfo);
        return 1;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);
    cinfo.out_color_space = cinfo.num_components == 1 ? JCS_GRAYSCALE : cinfo.num_components == 4 ? JCS_CMYK : JCS_RGB;
    jpeg_start_decompress(&cinfo);
    size_t row_bytes = (size_t)cinfo.output_width * (size_t)cinfo.output_components;
    if (cinfo.output_height > 0 && row_bytes > capacity / cinfo.output_height) fail(&err, "output buffer too small");
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = pixels + (size_t)cinfo.output_scanline * row_bytes;
        // A memory source never suspends; a call without a row is a libjpeg fault, not a retry.
        if (jpeg_read_scanlines(&cinfo, &row, 1) != 1) fail(&err, "libjpeg returned no scanline");
    }
    jpeg_finish_decompress(&cinfo);
    image->width = cinfo.output_width;
    image->height = cinfo.output_height;
    image->components = (unsigned)cinfo.output_components;
    jpeg_destroy_decompress(&cinfo);
    return 0;
}
