
/*
 * Copyright (C) sockerless contributors
 *
 * What every fuzz target shares: an invariant that must hold, or the
 * target traps and libFuzzer keeps the input.
 */


#ifndef _SLS_FUZZ_H_INCLUDED_
#define _SLS_FUZZ_H_INCLUDED_


#define sls_fuzz_check(cond)                                                  \
    do {                                                                      \
        if (!(cond)) {                                                        \
            __builtin_trap();                                                 \
        }                                                                     \
    } while (0)


#endif /* _SLS_FUZZ_H_INCLUDED_ */
