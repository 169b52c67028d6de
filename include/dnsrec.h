/* dnsrec.h - the DNS records this configuration needs (nymctl dns). */
#ifndef NYM_DNSREC_H
#define NYM_DNSREC_H

#include "buf.h"
#include "conf.h"

/*
 * The records an operator must publish so that the big receivers take
 * the server's mail (SPF, DKIM of 2048 bits, DMARC aligned with both,
 * forward-confirmed PTR, TLS) and, with wkd_dir, so that WKD clients
 * find the nym keys, as zone-file lines with comments, into out.  The
 * DKIM record comes from dkim_record (opendkim-genkey's SEL.txt).
 * Returns the number of problems found (no DKIM record, a key under
 * 2048 bits), each also written as a "; PROBLEM:" line.
 */
int dnsrec_print(const struct conf *, struct buf *out);

/* Bits of the RSA key in a DKIM record's p= value (base64 SPKI); 0 if
 * it cannot be read. */
unsigned dnsrec_rsa_bits(const char *p64, size_t len);

#endif
