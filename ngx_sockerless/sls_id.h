
/*
 * Copyright (C) sockerless contributors
 *
 * Container names as dockerd makes and checks them. nginx-free.
 */


#ifndef _SLS_ID_H_INCLUDED_
#define _SLS_ID_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>


/* dockerd's rule: ^/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$ ; returns 1 when valid */
int sls_name_valid(const char *name, size_t len);

/*
 * "adjective_surname" into buf (at least 64 bytes), chosen by r1 and r2;
 * like dockerd, never "boring_wozniak".
 */
void sls_name_random(char *buf, size_t size, uint32_t r1, uint32_t r2);


#endif /* _SLS_ID_H_INCLUDED_ */
