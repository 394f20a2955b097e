/*
 * Copyright (C) sockerless contributors
 *
 * Published ports as the Engine API writes them: the "80/tcp" keys of
 * ExposedPorts and PortBindings, and a binding's HostPort ("", "8080",
 * "8000-8010"), checked as dockerd's validatePortBindings() does.
 * nginx-free; nothing here allocates.
 */


#ifndef _SLS_PORTS_H_INCLUDED_
#define _SLS_PORTS_H_INCLUDED_


/*
 * "80", "80/tcp", "53/udp", "9/sctp" to the port (1-65535) and a static
 * protocol string ("tcp" when none is given); 0, or -1 when malformed
 */
int sls_port_parse(const char *s, unsigned *port, const char **proto);

/*
 * A HostPort: "" is 0-0 (the kernel picks), "8080" is 8080-8080,
 * "8000-8010" a range (first <= last, 0-65535); 0, or -1 when malformed
 */
int sls_port_range(const char *s, unsigned *first, unsigned *last);


#endif /* _SLS_PORTS_H_INCLUDED_ */
