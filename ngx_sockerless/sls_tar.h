
/*
 * Copyright (C) sockerless contributors
 *
 * A small tar codec for the agent's archives (docker cp): ustar headers,
 * pax extended headers for what ustar cannot hold, and the GNU long name
 * and long link entries on input. nginx-free, no library.
 */


#ifndef _SLS_TAR_H_INCLUDED_
#define _SLS_TAR_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>


#define SLS_TAR_BLOCK        512
#define SLS_TAR_NAME_MAX     4096          /* names and link targets */
#define SLS_TAR_EXT_MAX      (1024 * 1024) /* a pax or GNU extension */

/* room for any header sls_tar_header() writes: pax block, data, ustar */
#define SLS_TAR_HEADER_MAX   (3 * SLS_TAR_BLOCK + 2 * SLS_TAR_NAME_MAX + 512)

#define SLS_TAR_REG          '0'
#define SLS_TAR_LINK         '1'
#define SLS_TAR_SYMLINK      '2'
#define SLS_TAR_CHR          '3'
#define SLS_TAR_BLK          '4'
#define SLS_TAR_DIR          '5'
#define SLS_TAR_FIFO         '6'


/*
 * One entry. name and linkname are NUL-terminated; on output they point
 * into the reader and stay valid until the next sls_tar_next().
 */
typedef struct {
    const char          *name;
    const char          *linkname;
    int                  type;        /* SLS_TAR_* */
    unsigned             mode;        /* 07777: permissions and s-bits */
    uint64_t             uid;
    uint64_t             gid;
    uint64_t             size;        /* bytes of data (regular files) */
    int64_t              mtime;       /* seconds */
    unsigned             devmajor;
    unsigned             devminor;
} sls_tar_entry_t;


/*
 * Writes the header of e to buf: a ustar block, preceded by a pax
 * extended header when a name is over 100 bytes, a link target over 100
 * bytes, the size over 8 GiB or an id over 2097151. Returns the bytes
 * written (a multiple of 512), or 0 when a name is longer than
 * SLS_TAR_NAME_MAX or size is under SLS_TAR_HEADER_MAX.
 */
size_t sls_tar_header(unsigned char *buf, size_t size,
    const sls_tar_entry_t *e);

/* the zero bytes that follow n bytes of data to the block boundary */
size_t sls_tar_padding(uint64_t n);

/*
 * 1 when the block of SLS_TAR_BLOCK bytes is a header whose checksum
 * holds or a zero block (the start of an uncompressed tar), else 0
 */
int sls_tar_is_block(const unsigned char *h);


/*
 * The reader pulls the archive through read(), which returns the bytes
 * read (up to len), 0 at the end of input, or -1 (its errno is kept).
 */
typedef ssize_t (*sls_tar_read_pt)(void *data, void *buf, size_t len);

typedef struct {
    sls_tar_read_pt      read;
    void                *data;
    uint64_t             left;        /* data bytes of the entry unread */
    uint64_t             pad;         /* then padding */
    char                *name;        /* malloc()ed, SLS_TAR_NAME_MAX + 1 */
    char                *link;
    char                *ext;         /* an extension being read */
    char                 err[128];
} sls_tar_reader_t;


#define SLS_TAR_OK       0
#define SLS_TAR_END      1            /* two zero blocks, or the input end */
#define SLS_TAR_ERROR   -1            /* with a reason in err */
#define SLS_TAR_IO      -2            /* read() failed */


/* 0, or -1 when out of memory; sls_tar_reader_free() in any case */
int sls_tar_reader_init(sls_tar_reader_t *t, sls_tar_read_pt read,
    void *data);
void sls_tar_reader_free(sls_tar_reader_t *t);

/*
 * The next entry (the rest of the previous entry's data is skipped).
 * pax "path", "linkpath", "size", "uid", "gid" and "mtime" records and
 * GNU 'L' / 'K' entries apply to the entry that follows them; global pax
 * headers are skipped. Types other than the SLS_TAR_* above ('7' is a
 * regular file) are an error. Returns SLS_TAR_OK, SLS_TAR_END,
 * SLS_TAR_ERROR or SLS_TAR_IO.
 */
int sls_tar_next(sls_tar_reader_t *t, sls_tar_entry_t *e);

/* data of the entry: bytes read, 0 at its end, SLS_TAR_ERROR/IO */
ssize_t sls_tar_data(sls_tar_reader_t *t, void *buf, size_t len);


#endif /* _SLS_TAR_H_INCLUDED_ */
