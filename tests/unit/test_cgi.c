/* test_cgi.c - nymreg's form parser: good input, bad input, injections. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "cgi.h"
#include "t.h"

static int
parses(const char *s)
{
	struct cgi_form f;

	return cgi_parse(s, strlen(s), &f) == 0;
}

/* Feed body through a pipe to cgi_read_body with CONTENT_LENGTH cl. */
static int
body(const char *cl, const char *data, struct buf *out)
{
	int p[2], rc;

	if (pipe(p) < 0)
		return -2;
	if (write(p[1], data, strlen(data)) != (ssize_t)strlen(data))
		return -2;
	close(p[1]);
	rc = cgi_read_body(p[0], cl, out);
	close(p[0]);
	return rc;
}

int
main(void)
{
	struct cgi_form f;
	struct buf b = BUF_INIT, big = BUF_INIT;
	const char *s;
	int i;

	/* --- good input --- */
	s = "alias=alice&email=Alice%40Example.org&action=register";
	T(cgi_parse(s, strlen(s), &f) == 0 && f.n == 3, "three fields");
	T_STR(cgi_get(&f, "alias"), "alice", "alias value");
	T_STR(cgi_get(&f, "email"), "Alice@Example.org", "%%40 decodes to @");
	T(cgi_get(&f, "nothing") == NULL, "absent field is NULL");
	s = "email=J%C3%BCrgen+%3cj%40x.org%3E";
	T(cgi_parse(s, strlen(s), &f) == 0, "UTF-8 and lowercase hex");
	T_STR(cgi_get(&f, "email"), "J\xc3\xbcrgen <j@x.org>", "'+' is space");
	T(cgi_parse("a=1&&b=2&", 9, &f) == 0 && f.n == 2, "empty pairs skipped");
	T(cgi_parse("alias=&t", 8, &f) == 0 &&
	    strcmp(cgi_get(&f, "t"), "") == 0 &&
	    strcmp(cgi_get(&f, "alias"), "") == 0, "empty values");
	T(cgi_parse("", 0, &f) == 0 && f.n == 0, "empty input");

	/* --- injections and bad encodings --- */
	T(!parses("email=a%40b.org%0d%0aBcc:%20victim%40x.org"),
	    "%%0d%%0a header injection refused");
	T(!parses("email=a%40b.org%0aBcc:x"), "bare %%0a refused");
	T(!parses("alias=ab%00cd"), "%%00 NUL refused");
	T(cgi_parse("alias=ab\0cd", 11, &f) < 0, "raw NUL byte refused");
	T(!parses("alias=a b"), "raw space refused");
	T(!parses("alias=a\nb"), "raw newline refused");
	T(!parses("alias=\xc3\xa9"), "raw 8-bit byte refused");
	T(!parses("alias=%09x"), "%%09 tab refused");
	T(!parses("alias=%7f"), "%%7f DEL refused");
	T(!parses("alias=%zz"), "bad hex refused");
	T(!parses("alias=ab%4"), "truncated escape refused");
	T(!parses("alias=ab%"), "trailing %% refused");
	T(!parses("alias=%C3%28"), "invalid UTF-8 refused");
	T(!parses("alias=%C0%AF"), "overlong UTF-8 refused");
	T(!parses("alias=%ED%A0%80"), "UTF-8 surrogate refused");
	T(!parses("alias=%C2%85"), "C1 control (NEL) refused");
	T(!parses("alias=%F4%90%80%80"), "beyond U+10FFFF refused");
	T(!parses("alias=x&alias=y"), "repeated field refused");
	T(!parses("Alias=x"), "uppercase name refused");
	T(!parses("a1=x"), "digit in name refused");
	T(!parses("=x"), "empty name refused");
	T(parses("%61lias=x"), "encoded name decodes");
	T(!parses("al%0aias=x"), "control in name refused");

	/* --- caps --- */
	buf_sets(&big, "alias=");
	for (i = 0; i < CGI_MAX_VALUE; i++)
		buf_addc(&big, 'a');
	T(parses(big.s), "value of exactly %d bytes accepted", CGI_MAX_VALUE);
	buf_addc(&big, 'a');
	T(!parses(big.s), "value one byte over the cap refused");
	buf_sets(&big, "alias=");
	for (i = 0; i < 100; i++)
		buf_adds(&big, "%41");
	T(parses(big.s), "100 encoded bytes accepted");
	for (i = 0; i < 200; i++)
		buf_adds(&big, "%41");
	T(!parses(big.s), "300 encoded bytes refused (decoded length)");
	buf_reset(&big);
	for (i = 0; i < CGI_MAX_INPUT + 1; i++)
		buf_addc(&big, '&');
	T(cgi_parse(big.s, big.len, &f) < 0, "input over %d bytes refused",
	    CGI_MAX_INPUT);
	T(parses("a=1&b=2&c=3&d=4&e=5&f=6&g=7&h=8"), "8 fields accepted");
	T(!parses("a=1&b=2&c=3&d=4&e=5&f=6&g=7&h=8&i=9"), "9 fields refused");
	T(!parses("abcdefghijklmnopq=1"), "17-byte name refused");
	T(cgi_parse("x=%0a", 5, &f) < 0 && f.n == 0, "failure leaves form empty");

	/* --- HTML escaping of everything echoed --- */
	buf_reset(&b);
	cgi_html(&b, "<script>alert('x')</script>\"&");
	T_STR(b.s, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&quot;&amp;",
	    "markup escaped");
	s = "alias=%3Cimg+src%3Dx+onerror%3Dalert(1)%3E";
	T(cgi_parse(s, strlen(s), &f) == 0, "HTML in a field parses");
	buf_reset(&b);
	cgi_html(&b, cgi_get(&f, "alias"));
	T(strchr(b.s, '<') == NULL && strstr(b.s, "&lt;img") != NULL,
	    "... and is echoed escaped");

	/* --- POST bodies --- */
	T(body("5", "abcde", &b) == 0 && strcmp(b.s, "abcde") == 0,
	    "body of CONTENT_LENGTH read");
	T(body("3", "abcde", &b) == 0 && strcmp(b.s, "abc") == 0,
	    "only CONTENT_LENGTH bytes read");
	T(body("9", "abc", &b) < 0, "short body refused");
	T(body(NULL, "abc", &b) < 0, "missing CONTENT_LENGTH refused");
	T(body("-1", "abc", &b) < 0, "negative length refused");
	T(body("1x", "abc", &b) < 0, "junk length refused");
	T(body("4097", "abc", &b) < 0, "length over the cap refused");
	T(body("99999999999999999999999", "abc", &b) < 0,
	    "overflowing length refused");
	buf_free(&b);
	buf_free(&big);
	T_END();
}
