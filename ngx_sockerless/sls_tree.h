
/*
 * Copyright (C) sockerless contributors
 *
 * Directory trees of images and containers: sizes, the changes of an
 * overlay upper directory, and tar streams of the merged view. nginx-free,
 * blocking: callers run it in a thread.
 */


#ifndef _SLS_TREE_H_INCLUDED_
#define _SLS_TREE_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>
#include <archive.h>


#define SLS_TREE_MODIFIED  0
#define SLS_TREE_ADDED     1
#define SLS_TREE_DELETED   2


/* what sls_tree_write() emits */
#define SLS_TREE_MERGED    0   /* lower with upper applied: a rootfs */
#define SLS_TREE_DIFF      1   /* upper alone, whiteouts as ".wh." files */


/*
 * The bytes of the regular files under path, a file with several links
 * counted once (du --apparent-size). Thread-safe; -1 when path is missing.
 */
int64_t sls_tree_du(const char *path);


/*
 * The changes of an overlay upper directory against its lower directory
 * as dockerd reports them (pkg/archive OverlayChanges): in path order, a
 * directory whose metadata did not change is not reported, the parent of
 * an added or deleted path is reported modified once. Paths in "hide"
 * (NULL-terminated, absolute, e.g. "/etc/hosts") are left out. cb returns
 * 0 to go on. Returns 0, or -1 with err set.
 */
typedef int (*sls_tree_change_pt)(void *data, const char *path, int kind);

int sls_tree_changes(const char *lower, const char *upper,
    const char *const *hide, sls_tree_change_pt cb, void *data, char *err,
    size_t size);


/*
 * Writes the entries of the tree to "a" (a tar writer or a disk writer):
 * SLS_TREE_MERGED walks lower (may be NULL) with upper (may be NULL)
 * applied, overlay whiteouts and opaque directories honoured;
 * SLS_TREE_DIFF writes upper alone as a layer. Entry names are
 * prefix + "/" + path when prefix is set, else relative ("bin/sh").
 * Hard links inside the tree stay hard links. Returns 0, or -1 with err.
 */
int sls_tree_write(struct archive *a, const char *lower, const char *upper,
    const char *prefix, int mode, char *err, size_t size);


#endif /* _SLS_TREE_H_INCLUDED_ */
