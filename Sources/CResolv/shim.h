#include <netinet/in.h>
#include <arpa/nameser.h>
#include <resolv.h>
#include <string.h>

// glibc defines res_ninit and res_nclose as macros (for __res_ninit, __res_nclose), which Swift does not import.
static inline int cresolv_ninit(res_state state) { return res_ninit(state); }
static inline void cresolv_nclose(res_state state) { res_nclose(state); }
