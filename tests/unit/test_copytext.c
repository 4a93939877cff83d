/* Unit tests of copy: COPY text-format escaping (the functions that need no database). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/copytext.h"

/* ncc_copy_fwrite_value into memory; returns the function's result, *out the bytes. */
static int write_value(const char *s, size_t len, char **out, size_t *outlen)
{
    FILE *f = open_memstream(out, outlen);
    cr_assert_not_null(f);
    int rc = ncc_copy_fwrite_value(f, s, len);
    cr_assert_eq(fclose(f), 0);
    return rc;
}

/* The escaped form of s (NUL-terminated) as a new string. */
static char *escaped(const char *s)
{
    char *out = NULL;
    size_t outlen = 0;
    cr_assert_eq(write_value(s, s ? strlen(s) : 0, &out, &outlen), 0);
    cr_assert_eq(strlen(out), outlen, "no NUL byte expected in the output");
    return out;
}

#define ASSERT_ESCAPED(in, expect)                                                                 \
    do {                                                                                           \
        char *got_ = escaped(in);                                                                  \
        cr_assert_str_eq(got_, expect);                                                            \
        free(got_);                                                                                \
    } while (0)

Test(copy, escape_char_for_each_escaped_byte)
{
    cr_assert_eq(ncc_copy_escape_char('\\'), '\\');
    cr_assert_eq(ncc_copy_escape_char('\n'), 'n');
    cr_assert_eq(ncc_copy_escape_char('\r'), 'r');
    cr_assert_eq(ncc_copy_escape_char('\t'), 't');
}

Test(copy, escape_char_zero_for_every_other_byte)
{
    int escaped_bytes = 0;
    for (int b = 0; b < 256; b++) {
        char c = (char)b;
        char e = ncc_copy_escape_char(c);
        if (c == '\\' || c == '\n' || c == '\r' || c == '\t') {
            cr_assert_neq(e, 0, "byte 0x%02x must be escaped", b);
            escaped_bytes++;
        } else {
            cr_assert_eq(e, 0, "byte 0x%02x must not be escaped (got '%c')", b, e);
        }
    }
    cr_assert_eq(escaped_bytes, 4);
    /* bytes that look special elsewhere are plain data in COPY text */
    cr_assert_eq(ncc_copy_escape_char('N'), 0);
    cr_assert_eq(ncc_copy_escape_char('.'), 0);
    cr_assert_eq(ncc_copy_escape_char('"'), 0);
    cr_assert_eq(ncc_copy_escape_char(','), 0);
    cr_assert_eq(ncc_copy_escape_char('\0'), 0);
    cr_assert_eq(ncc_copy_escape_char('\x7f'), 0);
    cr_assert_eq(ncc_copy_escape_char('\xc3'), 0);
}

Test(copy, fwrite_null_is_backslash_n)
{
    char *out = NULL;
    size_t len = 0;
    cr_assert_eq(write_value(NULL, 0, &out, &len), 0);
    cr_assert_eq(len, 2);
    cr_assert_str_eq(out, "\\N");
    free(out);
    /* the length is ignored for NULL */
    cr_assert_eq(write_value(NULL, 5, &out, &len), 0);
    cr_assert_str_eq(out, "\\N");
    free(out);
}

Test(copy, fwrite_empty_string_is_not_null)
{
    char *out = NULL;
    size_t len = 99;
    cr_assert_eq(write_value("", 0, &out, &len), 0);
    cr_assert_eq(len, 0);
    free(out);
    /* the text "\N" is data: its backslash is escaped */
    ASSERT_ESCAPED("\\N", "\\\\N");
}

Test(copy, fwrite_escapes_each_special_byte)
{
    ASSERT_ESCAPED("\\", "\\\\");
    ASSERT_ESCAPED("\n", "\\n");
    ASSERT_ESCAPED("\r", "\\r");
    ASSERT_ESCAPED("\t", "\\t");
    ASSERT_ESCAPED("a\tb\nc\rd\\e", "a\\tb\\nc\\rd\\\\e");
    ASSERT_ESCAPED("\r\n", "\\r\\n");
    ASSERT_ESCAPED("\\\\", "\\\\\\\\");
    ASSERT_ESCAPED("end\\", "end\\\\");
    ASSERT_ESCAPED("\ttab first", "\\ttab first");
}

Test(copy, fwrite_lone_end_of_data_marker_stays_data)
{
    ASSERT_ESCAPED("\\.", "\\\\.");
    ASSERT_ESCAPED("x\n\\.\n", "x\\n\\\\.\\n");
}

Test(copy, fwrite_plain_and_utf8_text_unchanged)
{
    ASSERT_ESCAPED("plain text, with \"quotes\" and commas; 100%",
                   "plain text, with \"quotes\" and commas; 100%");
    ASSERT_ESCAPED("Caf\xc3\xa9 \xe2\x82\xac"
                   "12 \xf0\x9f\x98\x80 na\xc3\xafve",
                   "Caf\xc3\xa9 \xe2\x82\xac"
                   "12 \xf0\x9f\x98\x80 na\xc3\xafve");
    ASSERT_ESCAPED("N", "N");
    ASSERT_ESCAPED(".", ".");
}

Test(copy, fwrite_respects_length)
{
    char *out = NULL;
    size_t len = 0;
    /* only the first len bytes are written, escapes included */
    cr_assert_eq(write_value("ab\tcd", 3, &out, &len), 0);
    cr_assert_eq(len, 4);
    cr_assert_eq(memcmp(out, "ab\\t", 4), 0);
    free(out);
    cr_assert_eq(write_value("abcdef", 2, &out, &len), 0);
    cr_assert_eq(len, 2);
    cr_assert_eq(memcmp(out, "ab", 2), 0);
    free(out);
}

Test(copy, fwrite_long_value_every_byte)
{
    /* every byte value but NUL, repeated: the output is the input with the four escaped */
    size_t n = 255 * 40;
    char *in = malloc(n);
    cr_assert_not_null(in);
    for (size_t i = 0; i < n; i++)
        in[i] = (char)(1 + i % 255);
    char *out = NULL;
    size_t outlen = 0;
    cr_assert_eq(write_value(in, n, &out, &outlen), 0);
    cr_assert_eq(outlen, n + 4 * 40);
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        char e = ncc_copy_escape_char(in[i]);
        if (e) {
            cr_assert_eq(out[j], '\\', "at input byte %zu", i);
            cr_assert_eq(out[j + 1], e, "at input byte %zu", i);
            j += 2;
        } else {
            cr_assert_eq(out[j], in[i], "at input byte %zu", i);
            j++;
        }
    }
    cr_assert_eq(j, outlen);
    free(in);
    free(out);
}

/* A stream on /dev/full whose writes reach the device at once (buf: size bytes). */
static FILE *open_full(int mode, char *buf, size_t size)
{
    FILE *f = fopen("/dev/full", "w");
    cr_assert_not_null(f, "/dev/full is needed for this test");
    cr_assert_eq(setvbuf(f, buf, mode, size), 0);
    return f;
}

Test(copy, fwrite_to_full_device_fails)
{
    FILE *f = open_full(_IONBF, NULL, 0);
    cr_assert_eq(ncc_copy_fwrite_value(f, "plain", 5), -1);
    fclose(f);

    f = open_full(_IONBF, NULL, 0);
    cr_assert_eq(ncc_copy_fwrite_value(f, NULL, 0), -1, "\\N");
    fclose(f);

    f = open_full(_IONBF, NULL, 0);
    cr_assert_eq(ncc_copy_fwrite_value(f, "\t", 1), -1, "escape only");
    fclose(f);

    f = open_full(_IONBF, NULL, 0);
    cr_assert_eq(ncc_copy_fwrite_value(f, "ab\ncd", 5), -1, "text then escape");
    fclose(f);
}

Test(copy, fwrite_to_full_device_small_buffer_fails)
{
    static char buf[8];
    /* a value longer than the buffer forces a write that the device refuses */
    FILE *f = open_full(_IOFBF, buf, sizeof buf);
    const char *v = "a value much longer than eight bytes";
    cr_assert_eq(ncc_copy_fwrite_value(f, v, strlen(v)), -1);
    fclose(f);

    /* only escapes: the failure comes from writing them */
    f = open_full(_IOFBF, buf, sizeof buf);
    const char *e = "\n\n\n\n\n\n\n\n\n\n";
    cr_assert_eq(ncc_copy_fwrite_value(f, e, strlen(e)), -1);
    fclose(f);
}
