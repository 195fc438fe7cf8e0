#include "internal.h"
#include "wire.h"
#include "json.h"
#include "curl_loader.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

int lade__link_next(const char *base_url, const char *link, char *out, size_t outlen)
{
	const char *open = strchr(link, '<'), *close = open ? strchr(open, '>') : NULL;
	size_t n, baselen = strlen(base_url);
	char target[4096];
	if (!open || !close || !strstr(close, "rel=\"next\""))
		return 0;
	n = (size_t)(close - open - 1);
	if (n >= sizeof(target))
		return lade__error(LADE_EPROTOCOL, "Link header too long");
	memcpy(target, open + 1, n);
	target[n] = '\0';
	if (target[0] == '/' && target[1] != '/')
		return lade_snprintf(out, outlen, "%s%s", base_url, target) < 0 ? LADE_ETOOLARGE : 1;
	if (strncmp(target, base_url, baselen) == 0 && (target[baselen] == '/' || target[baselen] == '?'))
		return lade_snprintf(out, outlen, "%s", target) < 0 ? LADE_ETOOLARGE : 1;
	return lade__error(LADE_EPROTOCOL, "the next page '%s' is not on %s", target, base_url);
}

long lade__retry_after_parse(const char *value)
{
	char *end;
	long seconds;
	time_t when, now = time(NULL);
	if (!*value)
		return -1;
	seconds = strtol(value, &end, 10);
	if (!*end && end != value && seconds >= 0)
		return seconds;
	when = curl_getdate(value, NULL);
	if (when < 0)
		return -1;
	return when > now ? (long)(when - now < 86400 ? when - now : 86400) : 0;
}

int lade__content_range_start(const char *value, uint64_t *start)
{
	unsigned long long first = 0;
	char unit[8];
	if (sscanf(value, "%7s %llu-", unit, &first) != 2 || strcmp(unit, "bytes") != 0)
		return lade__error(LADE_EPROTOCOL, "Content-Range '%.100s' is not 'bytes N-M/T'", value);
	*start = first;
	return 0;
}

void lade__upload_range_next(const char *value, uint64_t size, uint64_t *offset)
{
	unsigned long long first = 0, last = 0;
	const char *p = strncmp(value, "bytes=", 6) == 0 ? value + 6 : value;
	*offset = 0;
	if (sscanf(p, "%llu-%llu", &first, &last) == 2 && first == 0 && last > 0 && last < size)
		*offset = last + 1;
}

int lade__token_reply_parse(const char *data, size_t len, size_t max, char *token, size_t tokenlen, long min_lifetime,
			    long *lifetime)
{
	cJSON *json = NULL, *t;
	const char *value;
	const cJSON *expires;
	int err;
	*lifetime = min_lifetime;
	token[0] = '\0';
	if ((err = lade_json_parse(&json, data, len, max, "token reply")) < 0)
		return err;
	value = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(json, "access_token"));
	if (!value || !*value)
		value = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(json, "token"));
	if (!value || !*value)
		err = lade__error(LADE_EPROTOCOL, "the token reply has no token");
	else if (strlen(value) >= tokenlen)
		err = lade__error(LADE_ETOOLARGE, "the token is over %zu bytes", tokenlen - 1);
	else
		memcpy(token, value, strlen(value) + 1);
	expires = cJSON_GetObjectItemCaseSensitive(json, "expires_in");
	if (cJSON_IsNumber(expires) && expires->valuedouble > min_lifetime && expires->valuedouble < 1e9)
		*lifetime = (long)expires->valuedouble;
	if (cJSON_IsString(t = cJSON_GetObjectItemCaseSensitive(json, "access_token")))
		OPENSSL_cleanse(t->valuestring, strlen(t->valuestring));
	if (cJSON_IsString(t = cJSON_GetObjectItemCaseSensitive(json, "token")))
		OPENSSL_cleanse(t->valuestring, strlen(t->valuestring));
	cJSON_Delete(json);
	return err;
}

static void printable(char *s)
{
	for (; *s; s++)
		if (!isprint((unsigned char)*s) && !((unsigned char)*s >= 0x80))
			*s = '?';
}

void lade__error_body_parse(const char *body, size_t len, char *code, size_t codelen, char *msg, size_t msglen)
{
	cJSON *json = NULL;
	const cJSON *first, *c, *m;
	lade_error saved = *lade_error_last();
	code[0] = msg[0] = '\0';
	if (!len)
		return;
	if (lade_json_parse(&json, body, len, LADE_ERROR_BODY_MAX, "error body") < 0)
		json = NULL; /* not the spec's JSON: the raw line below says what it was */
	*(lade_error *)lade_error_last() = saved;
	first = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(json, "errors"), 0);
	c = cJSON_GetObjectItemCaseSensitive(first, "code");
	m = cJSON_GetObjectItemCaseSensitive(first, "message");
	if (cJSON_IsString(c))
		snprintf(code, codelen, "%s", c->valuestring);
	if (cJSON_IsString(m))
		snprintf(msg, msglen, "%s", m->valuestring);
	cJSON_Delete(json);
	if (!code[0] && !msg[0]) {
		/* Not the spec's JSON: keep one printable line of it. */
		size_t i, n = 0;
		for (i = 0; i < len && n + 1 < msglen && body[i] != '\n'; i++)
			msg[n++] = isprint((unsigned char)body[i]) ? body[i] : '?';
		msg[n] = '\0';
	}
	printable(code);
	printable(msg);
}
