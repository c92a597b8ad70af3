/*
 * test_sniff.c - image type detection by magic bytes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "core/sniff.h"

static const uint8_t jpeg[] = {0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0x00};
static const uint8_t png[] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A,
                              0x00, 0x00, 0x00, 0x0D, 'I', 'H', 'D', 'R', 0, 0, 0, 1};
static const uint8_t gif87[] = {'G', 'I', 'F', '8', '7', 'a', 1, 0, 1, 0};
static const uint8_t gif89[] = {'G', 'I', 'F', '8', '9', 'a', 1, 0, 1, 0};
static const uint8_t webp_lossy[] = {'R', 'I', 'F', 'F', 0x24, 0, 0, 0, 'W', 'E', 'B', 'P',
                                     'V', 'P', '8', ' ', 0x18, 0, 0, 0};
static const uint8_t webp_lossless[] = {'R', 'I', 'F', 'F', 0x1A, 0, 0, 0, 'W', 'E', 'B', 'P',
                                        'V', 'P', '8', 'L', 0x0D, 0, 0, 0};
static const uint8_t webp_ext[] = {'R', 'I', 'F', 'F', 0x1A, 0, 0, 0, 'W', 'E', 'B', 'P',
                                   'V', 'P', '8', 'X', 0x0A, 0, 0, 0};

static void test_known_types(void **state)
{
    (void)state;
    assert_int_equal(sniff_image(jpeg, sizeof jpeg), SNIFF_JPEG);
    assert_int_equal(sniff_image(png, sizeof png), SNIFF_PNG);
    assert_int_equal(sniff_image(gif87, sizeof gif87), SNIFF_GIF);
    assert_int_equal(sniff_image(gif89, sizeof gif89), SNIFF_GIF);
    assert_int_equal(sniff_image(webp_lossy, sizeof webp_lossy), SNIFF_WEBP);
    assert_int_equal(sniff_image(webp_lossless, sizeof webp_lossless), SNIFF_WEBP);
    assert_int_equal(sniff_image(webp_ext, sizeof webp_ext), SNIFF_WEBP);
}

static void test_mime_and_extension(void **state)
{
    (void)state;
    assert_string_equal(sniff_mime(SNIFF_JPEG), "image/jpeg");
    assert_string_equal(sniff_mime(SNIFF_PNG), "image/png");
    assert_string_equal(sniff_mime(SNIFF_GIF), "image/gif");
    assert_string_equal(sniff_mime(SNIFF_WEBP), "image/webp");
    assert_null(sniff_mime(SNIFF_UNKNOWN));
    assert_null(sniff_mime((sniff_type_t)99));
    assert_string_equal(sniff_extension(SNIFF_JPEG), "jpg");
    assert_string_equal(sniff_extension(SNIFF_WEBP), "webp");
    assert_null(sniff_extension(SNIFF_UNKNOWN));
}

static void test_truncated(void **state)
{
    (void)state;
    assert_int_equal(sniff_image(NULL, 100), SNIFF_UNKNOWN);
    assert_int_equal(sniff_image(jpeg, 0), SNIFF_UNKNOWN);
    assert_int_equal(sniff_image(jpeg, 2), SNIFF_UNKNOWN);
    assert_int_equal(sniff_image(png, 8), SNIFF_UNKNOWN);   /* no IHDR yet */
    assert_int_equal(sniff_image(gif89, 5), SNIFF_UNKNOWN);
    assert_int_equal(sniff_image(webp_lossy, 12), SNIFF_UNKNOWN);
}

static void test_lookalikes(void **state)
{
    (void)state;
    /* A WAV file is a RIFF container too. */
    static const uint8_t wav[] = {'R', 'I', 'F', 'F', 0x24, 0, 0, 0, 'W', 'A', 'V', 'E',
                                  'f', 'm', 't', ' ', 16, 0, 0, 0};
    assert_int_equal(sniff_image(wav, sizeof wav), SNIFF_UNKNOWN);
    /* RIFF/WEBP with an unknown first chunk. */
    uint8_t odd[sizeof webp_lossy];
    memcpy(odd, webp_lossy, sizeof odd);
    odd[15] = 'Q';
    assert_int_equal(sniff_image(odd, sizeof odd), SNIFF_UNKNOWN);
    /* GIF90a does not exist; a PNG signature with a broken byte. */
    static const uint8_t gif90[] = {'G', 'I', 'F', '9', '0', 'a', 0, 0};
    assert_int_equal(sniff_image(gif90, sizeof gif90), SNIFF_UNKNOWN);
    uint8_t badpng[sizeof png];
    memcpy(badpng, png, sizeof badpng);
    badpng[4] = '\n';  /* line-ending conversion damage */
    assert_int_equal(sniff_image(badpng, sizeof badpng), SNIFF_UNKNOWN);
    /* SVG, PDF and HTML are never images here. */
    static const char svg[] = "<svg xmlns=\"http://www.w3.org/2000/svg\"></svg>";
    static const char pdf[] = "%PDF-1.7\n%\xE2\xE3\xCF\xD3";
    assert_int_equal(sniff_image((const uint8_t *)svg, sizeof svg - 1), SNIFF_UNKNOWN);
    assert_int_equal(sniff_image((const uint8_t *)pdf, sizeof pdf - 1), SNIFF_UNKNOWN);
    static const uint8_t jpeg_almost[] = {0xFF, 0xD8, 0x00, 0xE0};
    assert_int_equal(sniff_image(jpeg_almost, sizeof jpeg_almost), SNIFF_UNKNOWN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_types),
        cmocka_unit_test(test_mime_and_extension),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_lookalikes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
