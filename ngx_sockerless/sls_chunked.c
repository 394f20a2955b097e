
/*
 * Copyright (C) sockerless contributors
 *
 * HTTP/1.1 chunked transfer coding decoder. nginx-free.
 */


#include <sls_chunked.h>


enum {
    sls_ck_size = 0,           /* hex digits of the size */
    sls_ck_ext,                /* extensions up to CR LF */
    sls_ck_size_lf,
    sls_ck_data,
    sls_ck_data_cr,
    sls_ck_data_lf,
    sls_ck_trailer,            /* start of a trailer line, or the end */
    sls_ck_trailer_line,
    sls_ck_trailer_lf,
    sls_ck_last_lf,
    sls_ck_done
};


int
sls_chunked_decode(sls_chunked_t *ck, const unsigned char **pos,
    const unsigned char *last, const unsigned char **data, size_t *len)
{
    size_t                n;
    unsigned char         ch;
    const unsigned char  *p;

    for (p = *pos; p < last || ck->state == sls_ck_done; ) {

        if (ck->state == sls_ck_done) {
            *pos = p;
            return SLS_CHUNKED_DONE;
        }

        if (ck->state == sls_ck_data) {
            n = (size_t) (last - p);

            if ((uint64_t) n > ck->size) {
                n = (size_t) ck->size;
            }

            ck->size -= n;
            *data = p;
            *len = n;
            *pos = p + n;

            if (ck->size == 0) {
                ck->state = sls_ck_data_cr;
            }

            return SLS_CHUNKED_DATA;
        }

        ch = *p++;

        if (ck->state != sls_ck_data_cr && ck->state != sls_ck_data_lf
            && ++ck->line > SLS_CHUNKED_LINE_MAX)
        {
            goto invalid;
        }

        switch (ck->state) {

        case sls_ck_size:
            if ((ch >= '0' && ch <= '9') || ((ch | 0x20) >= 'a'
                                             && (ch | 0x20) <= 'f'))
            {
                if (++ck->digits > 15) {
                    goto invalid;
                }

                ck->size = ck->size * 16
                           + (uint64_t) (ch <= '9' ? ch - '0'
                                                   : (ch | 0x20) - 'a' + 10);
                break;
            }

            if (ck->digits == 0) {
                goto invalid;
            }

            if (ch == '\r') {
                ck->state = sls_ck_size_lf;

            } else if (ch == ';' || ch == ' ' || ch == '\t') {
                ck->state = sls_ck_ext;

            } else {
                goto invalid;
            }

            break;

        case sls_ck_ext:
            if (ch == '\r') {
                ck->state = sls_ck_size_lf;

            } else if (ch == '\n') {
                goto invalid;
            }

            break;

        case sls_ck_size_lf:
            if (ch != '\n') {
                goto invalid;
            }

            ck->line = 0;
            ck->digits = 0;
            ck->state = ck->size ? sls_ck_data : sls_ck_trailer;
            break;

        case sls_ck_data_cr:
            if (ch != '\r') {
                goto invalid;
            }

            ck->state = sls_ck_data_lf;
            break;

        case sls_ck_data_lf:
            if (ch != '\n') {
                goto invalid;
            }

            ck->line = 0;
            ck->state = sls_ck_size;
            break;

        case sls_ck_trailer:
            if (ch == '\r') {
                ck->state = sls_ck_last_lf;

            } else if (ch == '\n') {
                goto invalid;

            } else {
                ck->state = sls_ck_trailer_line;
            }

            break;

        case sls_ck_trailer_line:
            if (ch == '\r') {
                ck->state = sls_ck_trailer_lf;

            } else if (ch == '\n') {
                goto invalid;
            }

            break;

        case sls_ck_trailer_lf:
            if (ch != '\n') {
                goto invalid;
            }

            ck->line = 0;
            ck->state = sls_ck_trailer;
            break;

        case sls_ck_last_lf:
            if (ch != '\n') {
                goto invalid;
            }

            ck->state = sls_ck_done;
            break;

        default:
            goto invalid;
        }
    }

    *pos = p;

    return SLS_CHUNKED_AGAIN;

invalid:

    /* *pos is left at the byte that is wrong */
    *pos = p - 1;

    return SLS_CHUNKED_ERROR;
}
