/*
 * The one engine every registry request runs on: the registry's curl
 * multi handle, driven until a request is done while whatever else is in
 * flight goes on (lade__reg_drive), and the rules of a request's life
 * (lade__reg_run): retries with backoff and Retry-After within the
 * deadline, one answer to a 401, redirects followed by lade itself.
 * Batches (registry_transfer.c) use the same rules step by step.
 */
#include "registry_internal.h"

static int retryable(CURLcode cc, long status);
static long backoff_ms(int attempt, long retry_after);

/*
 * Whether a failed exchange is tried again, and after how long (ms; -1 for
 * no): retryable failures while attempts are left, a stall only
 * STALL_RETRIES times, and never past the deadline.
 */
long lade__reg_retry_delay(const registry *r, CURLcode cc, long status, long retry_after, int *attempt, int *stalls)
{
	long delay;
	if (!retryable(cc, status) || *attempt >= (int)r->retries)
		return -1;
	if (cc == CURLE_OPERATION_TIMEDOUT && (lade__reg_past_deadline(r) || (*stalls)++ >= STALL_RETRIES))
		return -1;
	delay = backoff_ms((*attempt)++, retry_after);
	if (r->deadline_ms && lade__reg_now_ms() + delay >= r->deadline_ms)
		return -1;
	return delay;
}

/* ---- running requests ---- */

/* A paused download whose time has come goes on; *timeout is cut to the next one due. */
void lade__reg_unpause_due(request *rq, long now, long *timeout)
{
	if (!rq->paused_until_ms)
		return;
	if (rq->paused_until_ms <= now) {
		rq->paused_until_ms = 0;
		curl_easy_pause(rq->easy, CURLPAUSE_CONT);
	} else if (rq->paused_until_ms - now < *timeout) {
		*timeout = rq->paused_until_ms - now;
	}
}

/*
 * The one engine: every request lade makes to a registry or its token
 * service runs on the registry's multi handle, and this drives the handle
 * until e is done. Whatever else is in flight (a batch of blobs around a
 * token fetch) progresses meanwhile; the completions of those transfers
 * are marked on their requests (done, done_result) for the scheduler,
 * which owns them. rq is e's request, NULL for a handle without one.
 */
CURLcode lade__reg_drive(registry *r, CURL *e, request *rq)
{
	CURLcode result = CURLE_OK;
	CURLMsg *msg;
	int finished = 0, running, left;
	long connects = 0;

	curl_multi_add_handle(r->multi, e);
	while (!finished) {
		long timeout = 1000;
		curl_multi_perform(r->multi, &running);
		while ((msg = curl_multi_info_read(r->multi, &left))) {
			request *other = NULL;
			if (msg->msg != CURLMSG_DONE)
				continue;
			if (msg->easy_handle == e) {
				result = msg->data.result;
				finished = 1;
				continue;
			}
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&other);
			if (other) {
				other->done = 1;
				other->done_result = msg->data.result;
			}
		}
		if (rq)
			lade__reg_unpause_due(rq, lade__reg_now_ms(), &timeout);
		if (!finished && running)
			curl_multi_poll(r->multi, NULL, 0, (int)timeout, NULL);
		else if (!finished)
			break; /* nothing runs and e never reported: cannot happen, but never spin */
	}
	curl_multi_remove_handle(r->multi, e);
	curl_easy_getinfo(e, CURLINFO_NUM_CONNECTS, &connects);
	r->stats.connections += (uint64_t)connects;
	return result;
}

/* Run one prepared request to completion on the shared multi handle. */
CURLcode lade__reg_perform(request *rq)
{
	CURLcode cc = lade__reg_drive(rq->reg, rq->easy, rq);
	curl_easy_getinfo(rq->easy, CURLINFO_RESPONSE_CODE, &rq->status);
	return cc;
}

/* Failures that may pass: a dropped or refused connection, 408, 429, 5xx. */
static int retryable(CURLcode cc, long status)
{
	switch (cc) {
	case CURLE_OK:
		return status == 408 || status == 429 ||
		       (status >= 500 && status <= 599 && status != 501 && status != 505);
	case CURLE_COULDNT_CONNECT:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SSL_CONNECT_ERROR:
		return 1;
	default:
		return 0;
	}
}

/* Exponential backoff with jitter, or what Retry-After asks (capped at a minute). */
static long backoff_ms(int attempt, long retry_after)
{
	long base;
	if (retry_after >= 0)
		return (retry_after > 60 ? 60 : retry_after) * 1000;
	base = 250L << (attempt < 5 ? attempt : 5);
	if (base > 8000)
		base = 8000;
	return base + (long)((unsigned long)rand() % (unsigned long)(base / 2 + 1));
}

void lade__sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int lade__reg_is_redirect(long status)
{
	return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

/* The URL a redirect points to, resolved against the request's URL. */
int lade__reg_follow_redirect(const request *rq, char *out, size_t outlen)
{
	const char *loc = rq->location, *scheme_end, *path;
	if (!loc[0])
		return lade__error(LADE_EPROTOCOL, "'%s' redirected without a Location", rq->url);
	if (!strncmp(loc, "http://", 7) || !strncmp(loc, "https://", 8))
		return lade_snprintf(out, outlen, "%s", loc);
	if (strstr(loc, "://"))
		return lade__error(LADE_EUNSAFE, "'%s' redirected to '%s', which is not http(s)", rq->url, loc);
	scheme_end = strstr(rq->url, "://");
	path = scheme_end ? strchr(scheme_end + 3, '/') : NULL;
	if (loc[0] == '/' && loc[1] == '/')
		return lade_snprintf(out, outlen, "%.*s%s", (int)(scheme_end - rq->url + 1), rq->url, loc);
	if (loc[0] == '/')
		return lade_snprintf(out, outlen, "%.*s%s", (int)(path ? path - rq->url : (long)strlen(rq->url)),
				     rq->url, loc);
	{
		const char *last = strrchr(rq->url, '/');
		return lade_snprintf(out, outlen, "%.*s/%s", (int)(last - rq->url), rq->url, loc);
	}
}

/*
 * Run a request to completion: retrying what may pass, answering one 401,
 * and (follow) following redirects. Returns 0 or an error; rq->status is set.
 */
int lade__reg_run(request *rq, enum method method, const char *url, const char *accept, size_t body_max, int follow,
		  const char *scope, const char *what)
{
	registry *r = rq->reg;
	char current[URL_MAX];
	CURLcode cc;
	int err, attempt = 0, stalls = 0, redirects = 0;
	long delay;
	rq->auth_retries = 0;
	rq->scope = scope;
	if ((err = lade_snprintf(current, sizeof(current), "%s", url)) < 0)
		return err;
	for (;;) {
		if ((err = lade__reg_request_setup(rq, method, current, accept, body_max)) < 0)
			return err;
		cc = lade__reg_perform(rq);
		if (rq->callback_error)
			return lade__reg_request_error(rq, cc, what);
		if ((delay = lade__reg_retry_delay(r, cc, rq->status, rq->retry_after, &attempt, &stalls)) >= 0) {
			lade__sleep_ms(delay);
			continue;
		}
		if (cc != CURLE_OK)
			return lade__reg_request_error(rq, cc, what);
		if (rq->status == 401 && !rq->foreign && (err = lade__reg_handle_unauthorized(rq)) != 0) {
			if (err < 0)
				return err;
			continue;
		}
		if (follow && lade__reg_is_redirect(rq->status)) {
			if (++redirects > 5)
				return lade__error(LADE_EPROTOCOL, "%s: more than 5 redirects", what);
			if ((err = lade__reg_follow_redirect(rq, current, sizeof(current))) < 0)
				return err;
			continue;
		}
		return 0;
	}
}

#define PAGES_MAX 10000

int lade__reg_pages(registry *r, const char *first, const char *accept, size_t page_max, const char *scope,
		    const char *what, lade__reg_page_cb page, void *payload)
{
	request rq;
	char url[URL_MAX];
	lade_digest *seen = NULL; /* the pages asked for, by the digest of their URL */
	size_t nseen = 0, i;
	int err, pages = 0;

	if ((err = lade_snprintf(url, sizeof(url), "%s", first)) < 0 || (err = lade__reg_request_init(&rq, r)) < 0)
		return err;
	for (;;) {
		if (++pages > PAGES_MAX) {
			err = lade__error(LADE_EPROTOCOL, "%s: more than %d pages", what, PAGES_MAX);
			break;
		}
		if ((err = lade__reg_run(&rq, M_GET, url, accept, page_max, 0, scope, what)) < 0)
			break;
		if (rq.status != 200) {
			err = lade__reg_request_error(&rq, CURLE_OK, what);
			break;
		}
		if ((err = page(&rq, payload)) != 0)
			break;
		if ((err = lade__link_next(r->base_url, rq.link, url, sizeof(url))) <= 0) {
			if (err < 0)
				err = lade__error(err, "%s: %s", what, lade_error_last()->message);
			break;
		}
		/* A Link back to a page already read would go round for ever, repeating what it lists. */
		if (!(nseen & (nseen + 1))) {
			lade_digest *grown = realloc(seen, (nseen + 1) * 2 * sizeof(*seen));
			if (!grown) {
				err = lade_error_set_oom();
				break;
			}
			seen = grown;
		}
		if ((err = lade_digest_buffer(&seen[nseen], LADE_DIGEST_SHA256, rq.url, strlen(rq.url))) < 0)
			break;
		nseen++;
		if ((err = lade_digest_buffer(&seen[nseen], LADE_DIGEST_SHA256, url, strlen(url))) < 0)
			break;
		for (i = 0; i < nseen && !lade_digest_equal(&seen[i], &seen[nseen]); i++)
			;
		if (i < nseen) {
			err = lade__error(LADE_EPROTOCOL,
					  "%s: the registry's next page '%s' was already read (a Link loop)", what,
					  url);
			break;
		}
	}
	free(seen);
	lade__reg_request_dispose(&rq);
	return err;
}
