/* copytext.c - COPY text-format values written to a stdio stream (see copytext.h). */
#include "output/copytext.h"

int ncc_copy_fwrite_value(FILE *f, const char *s, size_t len)
{
    if (!s)
        return fputs("\\N", f) < 0 ? -1 : 0;
    size_t start = 0;
    for (size_t i = 0; i < len; i++) {
        char esc = ncc_copy_escape_char(s[i]);
        if (!esc)
            continue;
        if (fwrite(s + start, 1, i - start, f) != i - start || putc('\\', f) < 0 ||
            putc(esc, f) < 0)
            return -1;
        start = i + 1;
    }
    return fwrite(s + start, 1, len - start, f) == len - start ? 0 : -1;
}
