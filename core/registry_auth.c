/*
 * The registry target's authorization: Basic, and Bearer tokens (GET, or
 * the OAuth2 POST with an identity token) cached per scope until they
 * expire or are refused; a 401 is answered once per request.
 */
#include "registry_internal.h"

/* ---- authorization ---- */

/* The Authorization header for scope, if one is known and still fresh. Borrowed. */
const char *lade__reg_cached_auth(registry *r, const char *scope)
{
	time_t now = time(NULL);
	size_t i;
	for (i = 0; i < r->auth_count; i++) {
		auth_entry *e = &r->auth[i];
		if ((!strcmp(e->scope, "*") || (scope && !strcmp(e->scope, scope))) &&
		    (!e->expires || now < e->expires))
			return e->header;
	}
	return NULL;
}

int lade__reg_remember_auth(registry *r, const char *scope, const char *value, time_t expires)
{
	auth_entry *e = NULL;
	size_t i;
	for (i = 0; i < r->auth_count && !e; i++)
		if (!strcmp(r->auth[i].scope, scope))
			e = &r->auth[i];
	if (!e) {
		if (r->auth_count == AUTH_CACHE_MAX) {
			memmove(&r->auth[0], &r->auth[1], (AUTH_CACHE_MAX - 1) * sizeof(r->auth[0]));
			r->auth_count--;
		}
		e = &r->auth[r->auth_count++];
	}
	OPENSSL_cleanse(e->header, sizeof(e->header));
	snprintf(e->scope, sizeof(e->scope), "%s", scope);
	e->expires = expires;
	return lade_snprintf(e->header, sizeof(e->header), "Authorization: %s", value);
}

static int basic_value(const char *user, const char *pass, char *out, size_t outlen)
{
	char plain[1024];
	unsigned char encoded[1400];
	int n;
	if (lade_snprintf(plain, sizeof(plain), "%s:%s", user, pass ? pass : "") < 0)
		return lade__error(LADE_EINVALID, "credentials are too long");
	n = EVP_EncodeBlock(encoded, (const unsigned char *)plain, (int)strlen(plain));
	OPENSSL_cleanse(plain, sizeof(plain));
	n = lade_snprintf(out, outlen, "Basic %.*s", n, (const char *)encoded);
	OPENSSL_cleanse(encoded, sizeof(encoded));
	return n;
}

static size_t token_write(char *data, size_t size, size_t nmemb, void *userdata)
{
	return lade_buf_put(userdata, data, size * nmemb) < 0 ? 0 : size * nmemb;
}

/* One request to the token realm: GET (scopes as repeated parameters) or an OAuth2 POST form. */
static int token_request(registry *r, const lade_challenge *ch, const char *scope, int use_credentials, int post,
			 lade_buf *reply, long *status)
{
	CURL *e = curl_easy_init();
	struct curl_slist *headers = NULL;
	lade_buf url, form;
	char *esc, header[HEADER_MAX], errbuf[CURL_ERROR_SIZE] = "";
	const char *p;
	CURLcode cc;
	int err = 0;

	lade_buf_init(&url, 8192);
	lade_buf_init(&form, 16384);
	if (!e)
		return lade_error_set_oom();
#define APPEND_PARAM(buf, sep, name, value)                                                                            \
	do {                                                                                                           \
		esc = curl_easy_escape(e, value, 0);                                                                   \
		if (!esc || lade_buf_puts(buf, sep) < 0 || lade_buf_puts(buf, name) < 0 ||                             \
		    lade_buf_puts(buf, "=") < 0 || lade_buf_puts(buf, esc) < 0) {                                      \
			curl_free(esc);                                                                                \
			err = lade__error(LADE_ETOOLARGE, "token request too long");                                   \
			goto done;                                                                                     \
		}                                                                                                      \
		curl_free(esc);                                                                                        \
	} while (0)
	if ((err = lade_buf_puts(&url, ch->realm)) < 0)
		goto done;
	if (post) {
		/* OAuth2: one space-separated scope field. */
		APPEND_PARAM(&form, "", "grant_type", "refresh_token");
		APPEND_PARAM(&form, "&", "refresh_token", r->identity_token);
		APPEND_PARAM(&form, "&", "service", ch->service);
		APPEND_PARAM(&form, "&", "client_id", "lade");
		if (*scope)
			APPEND_PARAM(&form, "&", "scope", scope);
	} else {
		const char *sep = strchr(ch->realm, '?') ? "&" : "?";
		if (ch->service[0]) {
			APPEND_PARAM(&url, sep, "service", ch->service);
			sep = "&";
		}
		/* GET: one scope parameter per scope. */
		for (p = scope; *p;) {
			char one[600];
			size_t n = strcspn(p, " ");
			if (n && n < sizeof(one)) {
				memcpy(one, p, n);
				one[n] = '\0';
				APPEND_PARAM(&url, sep, "scope", one);
				sep = "&";
			}
			p += n;
			while (*p == ' ')
				p++;
		}
		if (use_credentials) {
			if ((err = basic_value(r->username, r->password, header + 15, sizeof(header) - 15)) < 0)
				goto done;
			memcpy(header, "Authorization: ", 15);
			headers = curl_slist_append(headers, header);
			OPENSSL_cleanse(header, sizeof(header));
		}
	}
#undef APPEND_PARAM
	curl_easy_setopt(e, CURLOPT_URL, url.ptr);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, r->user_agent);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
	/* The realm gets lade's TLS settings; the client certificate only when it is the registry's origin. */
	lade__reg_apply_transport(r, e, !lade__reg_same_origin(r, url.ptr));
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, 30L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, 120L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, token_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, reply);
	if (post) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, form.ptr);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)form.size);
	}
	if (headers)
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
	r->stats.requests++;
	/* On the registry's engine: the transfers of a batch go on while the token comes. */
	cc = lade__reg_drive(r, e, NULL);
	if (cc == CURLE_WRITE_ERROR && reply->size + CURL_MAX_WRITE_SIZE >= reply->max) {
		/* token_write refused more: say so, not libcurl's "failure writing output". */
		err = lade__error(LADE_ETOOLARGE, "the token service '%s' sent a reply over the %zu-byte limit",
				  ch->realm, reply->max);
		goto done;
	}
	if (cc != CURLE_OK) {
		err = lade__error(LADE_ENET, "cannot reach the token service '%s': %s", ch->realm,
				  errbuf[0] ? errbuf : curl_easy_strerror(cc));
		goto done;
	}
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, status);
done:
	curl_slist_free_all(headers);
	curl_easy_cleanup(e);
	OPENSSL_cleanse(form.ptr, form.size);
	lade_buf_dispose(&form);
	lade_buf_dispose(&url);
	return err;
}

/* Get a bearer token for scope from the challenge's realm and remember it. */
static int fetch_token(registry *r, const lade_challenge *ch, const char *scope)
{
	lade_buf reply;
	char value[HEADER_MAX];
	long status = 0, lifetime = MIN_TOKEN_LIFETIME;
	int err, with_credentials = r->username && !r->anonymous, post = r->identity_token && !r->anonymous;

	if (strncmp(ch->realm, "https://", 8) != 0 && strncmp(ch->realm, "http://", 7) != 0)
		return lade__error(LADE_EPROTOCOL, "'%s' names a token service '%s' that is not an http(s) URL",
				   r->host, ch->realm);
	/* Credentials never go down from https to http. */
	if ((with_credentials || post) && !strncmp(r->base_url, "https://", 8) && !strncmp(ch->realm, "http://", 7))
		return lade__error(LADE_EUNSAFE,
				   "'%s' sends its token requests to plain http '%s'; refusing to send credentials",
				   r->host, ch->realm);
	lade_buf_init(&reply, TOKEN_REPLY_MAX);
	if ((err = token_request(r, ch, scope, with_credentials, post, &reply, &status)) < 0)
		goto done;
	if (post && (status == 404 || status == 405)) {
		/* A token service without OAuth2: GET, as the distribution spec says. */
		lade_buf_clear(&reply);
		post = 0;
		if ((err = token_request(r, ch, scope, with_credentials, 0, &reply, &status)) < 0)
			goto done;
	}
	if ((status == 401 || status == 403) && (with_credentials || post) && r->credentials_stored) {
		/* Stored credentials rejected: the repository may still be public. */
		lade_buf_clear(&reply);
		r->anonymous = 1;
		with_credentials = post = 0;
		if ((err = token_request(r, ch, scope, 0, 0, &reply, &status)) < 0)
			goto done;
	}
	if (status == 401 || status == 403) {
		err = with_credentials || post
			  ? lade__error_http(LADE_EAUTH, status, "UNAUTHORIZED",
					     "'%s': credentials rejected by the token service", r->host)
			  : lade__error_http(LADE_EAUTH, status, "UNAUTHORIZED",
					     "'%s' requires credentials and none were given", r->host);
		goto done;
	}
	if (status != 200) {
		err = lade__error_http(LADE_EPROTOCOL, status, "", "'%s': the token service answered %ld", r->host,
				       status);
		goto done;
	}
	memcpy(value, "Bearer ", 7);
	if ((err = lade__token_reply_parse(reply.ptr, reply.size, TOKEN_REPLY_MAX, value + 7, sizeof(value) - 7,
					   MIN_TOKEN_LIFETIME, &lifetime)) < 0) {
		err = lade__error(err, "'%s': %s", r->host, lade_error_last()->message);
		goto done;
	}
	/* A little early, so a token does not lade__reg_run out between check and use. */
	err = lade__reg_remember_auth(r, scope, value, time(NULL) + lifetime - lifetime / 10);
done:
	OPENSSL_cleanse(value, sizeof(value));
	OPENSSL_cleanse(reply.ptr, reply.size);
	lade_buf_dispose(&reply);
	return err;
}

/* After a 401: learn how to authorize, then 1 means "send the request again". */
int lade__reg_handle_unauthorized(request *rq)
{
	registry *r = rq->reg;
	lade_challenge challenges[4];
	const lade_challenge *bearer = NULL, *basic = NULL;
	const char *scope = rq->scope ? rq->scope : "";
	size_t n = 0, i;
	int err;

	if (rq->auth_retries >= MAX_AUTH_RETRIES || !rq->www_authenticate[0])
		return 0;
	rq->auth_retries++;
	if (r->custom_auth) {
		lade_buf value;
		lade_buf_init(&value, HEADER_MAX - 32);
		err = r->custom_auth(r->custom_auth_payload, r->host, rq->www_authenticate, scope, &value);
		if (err == 0)
			err = lade__reg_remember_auth(r, "*", value.ptr, 0);
		OPENSSL_cleanse(value.ptr, value.size);
		lade_buf_dispose(&value);
		return err < 0 ? err : 1;
	}
	if ((err = lade_auth_parse_challenges(rq->www_authenticate, challenges, 4, &n)) < 0)
		return err;
	for (i = 0; i < n; i++) {
		if (!strcmp(challenges[i].scheme, "bearer") && !bearer)
			bearer = &challenges[i];
		else if (!strcmp(challenges[i].scheme, "basic") && !basic)
			basic = &challenges[i];
	}
	if (bearer) {
		if (!bearer->realm[0])
			return lade__error(LADE_EPROTOCOL, "'%s' asks for a bearer token but names no realm", r->host);
		return (err = fetch_token(r, bearer, scope)) < 0 ? err : 1;
	}
	if (basic) {
		char value[HEADER_MAX];
		if (!r->username)
			return lade__error(LADE_EAUTH, "'%s' requires credentials and none were given", r->host);
		if ((err = basic_value(r->username, r->password, value, sizeof(value))) == 0)
			err = lade__reg_remember_auth(r, "*", value, 0);
		OPENSSL_cleanse(value, sizeof(value));
		return err < 0 ? err : 1;
	}
	return lade__error(LADE_EUNSUPPORTED, "'%s' asks for '%.40s' authentication, which lade does not speak",
			   r->host, rq->www_authenticate);
}
