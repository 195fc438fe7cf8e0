#include "internal.h"
#include "fsutil.h"
#include "json.h"
#include "wire.h"
#include "lade/auth.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#define CONFIG_MAX ((size_t)4 * 1024 * 1024)
#define HELPER_OUTPUT_MAX ((size_t)64 * 1024)
#define DOCKER_HUB_KEY "https://index.docker.io/v1/"

extern char **environ;

/* ---- challenges ---- */

static const char *skip_space(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

static int is_token_char(char c)
{
	return c && (isalnum((unsigned char)c) || strchr("!#$%&'*+-.^_`|~", c));
}

/* A token or quoted-string into out (bounded); returns the position after it, NULL when malformed. */
static const char *read_value(const char *p, char *out, size_t outlen)
{
	size_t n = 0;
	if (*p == '"') {
		for (p++; *p && *p != '"'; p++) {
			if (*p == '\\' && p[1])
				p++;
			if (n + 1 < outlen)
				out[n++] = *p;
		}
		if (*p != '"')
			return NULL;
		p++;
	} else {
		while (is_token_char(*p) || *p == '/' || *p == ':' || *p == '=') {
			if (n + 1 < outlen)
				out[n++] = *p;
			p++;
		}
	}
	out[n] = '\0';
	return p;
}

int lade_auth_parse_challenges(const char *header, lade_challenge *out, size_t max, size_t *count)
{
	const char *p = header;
	size_t n = 0;
	*count = 0;
	for (;;) {
		lade_challenge c;
		size_t len = 0;
		int first = 1;
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (!*p)
			break;
		memset(&c, 0, sizeof(c));
		while (is_token_char(*p)) {
			if (len + 1 < sizeof(c.scheme))
				c.scheme[len++] = (char)tolower((unsigned char)*p);
			p++;
		}
		if (!len)
			return lade__error(LADE_EINVALID, "malformed WWW-Authenticate header: '%.80s'", header);
		/* auth-params (name=value, comma separated) until a bare token starts the next challenge */
		for (;;) {
			char name[64], value[1024];
			const char *q = p, *eq;
			size_t nlen = 0;
			int comma = 0;
			while (*q == ' ' || *q == '\t' || *q == ',')
				comma |= *q++ == ',';
			while (is_token_char(q[nlen]))
				nlen++;
			eq = skip_space(q + nlen);
			if (!nlen) {
				p = q;
				break;
			}
			if (*eq != '=' || eq[1] == '=' || (first && !comma && eq[1] == '\0')) {
				if (first && !comma) { /* token68 right after the scheme: skip it */
					p = q + nlen;
					while (*p == '=')
						p++;
					first = 0;
					continue;
				}
				p = q; /* the next challenge's scheme */
				break;
			}
			first = 0;
			snprintf(name, sizeof(name), "%.*s", (int)(nlen < sizeof(name) ? nlen : sizeof(name) - 1), q);
			if (!(p = read_value(skip_space(eq + 1), value, sizeof(value))))
				return lade__error(LADE_EINVALID,
						   "malformed WWW-Authenticate header: unterminated quote");
			if (!strcasecmp(name, "realm"))
				snprintf(c.realm, sizeof(c.realm), "%s", value);
			else if (!strcasecmp(name, "service"))
				snprintf(c.service, sizeof(c.service), "%s", value);
			else if (!strcasecmp(name, "scope"))
				snprintf(c.scope, sizeof(c.scope), "%s", value);
			else if (!strcasecmp(name, "error"))
				snprintf(c.error, sizeof(c.error), "%s", value);
		}
		if (n < max)
			out[n] = c;
		n++;
	}
	*count = n < max ? n : max;
	return 0;
}

/* ---- credentials ---- */

static void wipe_free(char *s)
{
	if (s) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

void lade_credential_dispose(lade_credential *c)
{
	wipe_free(c->username);
	wipe_free(c->password);
	wipe_free(c->identity_token);
	wipe_free(c->registry_token);
	memset(c, 0, sizeof(*c));
}

int lade_credentials_key(const char *registry, char *out, size_t outlen)
{
	if (!strcmp(registry, "docker.io") || !strcmp(registry, "index.docker.io") ||
	    !strcmp(registry, "registry-1.docker.io"))
		return lade_snprintf(out, outlen, "%s", DOCKER_HUB_KEY);
	return lade_snprintf(out, outlen, "%s", registry);
}

/* A legacy key ("https://host/", "http://host/path") reduced to its host, as docker does. */
static void key_to_host(const char *key, char *out, size_t outlen)
{
	const char *p = strstr(key, "://");
	size_t n;
	p = p ? p + 3 : key;
	n = strcspn(p, "/");
	snprintf(out, outlen, "%.*s", (int)n, p);
}

static int config_paths(const lade_credentials_options *opts, const char ***paths, size_t *count, char *fallback,
			size_t fallbacklen)
{
	static const char *single[1];
	const char *dir = getenv("DOCKER_CONFIG"), *home = getenv("HOME");
	/* Every version up to the current one is read; there is only one so far. */
	if (opts && (opts->version < 1 || opts->version > LADE_CREDENTIALS_OPTIONS_VERSION))
		return lade__error(LADE_EINVALID, "credentials options version %u is not 1 to %d", opts->version,
				   LADE_CREDENTIALS_OPTIONS_VERSION);
	if (opts && opts->config_count) {
		*paths = (const char **)opts->config_paths;
		*count = opts->config_count;
		return 0;
	}
	if (dir && *dir) {
		if (lade_snprintf(fallback, fallbacklen, "%s/config.json", dir) < 0)
			return LADE_ETOOLARGE;
	} else if (home && *home) {
		if (lade_snprintf(fallback, fallbacklen, "%s/.docker/config.json", home) < 0)
			return LADE_ETOOLARGE;
	} else {
		return lade__error(LADE_ENOTFOUND, "no Docker config: neither DOCKER_CONFIG nor HOME is set");
	}
	single[0] = fallback;
	*paths = single;
	*count = 1;
	return 0;
}

/* Free a parsed config with every string wiped first: auths hold passwords and tokens. */
static void wipe_strings(cJSON *item)
{
	for (; item; item = item->next) {
		if (cJSON_IsString(item) && item->valuestring)
			OPENSSL_cleanse(item->valuestring, strlen(item->valuestring));
		wipe_strings(item->child);
	}
}

static void wipe_delete(cJSON *config)
{
	if (config)
		wipe_strings(config->child);
	cJSON_Delete(config);
}

/* Load a config file; a missing one is an empty object. */
static int load_config(const char *path, cJSON **out)
{
	lade_buf data;
	int err = lade__read_file(&data, path, CONFIG_MAX);
	if (err == LADE_ENOTFOUND) {
		lade_error_clear();
		*out = cJSON_CreateObject();
		return *out ? 0 : lade_error_set_oom();
	}
	if (err < 0)
		return err;
	err = lade_json_parse(out, data.ptr, data.size, CONFIG_MAX, path);
	OPENSSL_cleanse(data.ptr, data.size);
	lade_buf_dispose(&data);
	return err;
}

/* The auths entry for key, matching legacy keys by host. Borrowed from config. */
static cJSON *find_auth(cJSON *config, const char *key, const char *registry)
{
	cJSON *auths = cJSON_GetObjectItemCaseSensitive(config, "auths"), *entry;
	char host[256];
	if (!cJSON_IsObject(auths))
		return NULL;
	if ((entry = cJSON_GetObjectItemCaseSensitive(auths, key)))
		return entry;
	cJSON_ArrayForEach (entry, auths) {
		key_to_host(entry->string, host, sizeof(host));
		if (!strcmp(host, registry) || (!strcmp(key, DOCKER_HUB_KEY) && !strcmp(host, "index.docker.io")))
			return entry;
	}
	return NULL;
}

/*
 * The helper suffix for key: credHelpers, else credsStore. An empty
 * credHelpers value means the plaintext auths, credsStore ignored (docker/cli).
 */
static const char *helper_for(cJSON *config, const char *key)
{
	cJSON *helpers = cJSON_GetObjectItemCaseSensitive(config, "credHelpers");
	cJSON *h = cJSON_IsObject(helpers) ? cJSON_GetObjectItemCaseSensitive(helpers, key) : NULL;
	cJSON *store = cJSON_GetObjectItemCaseSensitive(config, "credsStore");
	if (cJSON_IsString(h))
		return *h->valuestring ? h->valuestring : NULL;
	return cJSON_IsString(store) && *store->valuestring ? store->valuestring : NULL;
}

static int valid_helper_name(const char *name)
{
	const char *p;
	for (p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' && *p != '.')
			return 0;
	return p != name;
}

/* Run docker-credential-<name> <action> with input on stdin; its stdout (capped) into out. */
static int run_helper(const char *name, const char *action, const char *input, lade_buf *out, int *status)
{
	char program[300];
	char *argv[3];
	int in_pipe[2] = {-1, -1}, out_pipe[2] = {-1, -1}, err = 0, wstatus = 0;
	posix_spawn_file_actions_t fa;
	pid_t pid;
	char chunk[4096];
	ssize_t n;

	if (!valid_helper_name(name))
		return lade__error(LADE_EINVALID, "credential helper name '%s' is not valid", name);
	snprintf(program, sizeof(program), "docker-credential-%s", name);
	argv[0] = program;
	argv[1] = (char *)action;
	argv[2] = NULL;
	lade_buf_init(out, HELPER_OUTPUT_MAX);
	if (pipe(in_pipe) < 0 || pipe(out_pipe) < 0) {
		err = lade__error(LADE_EIO, "cannot run %s: %s", program, strerror(errno));
		goto done;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in_pipe[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
	posix_spawn_file_actions_addclose(&fa, in_pipe[1]);
	posix_spawn_file_actions_addclose(&fa, out_pipe[0]);
	if ((errno = posix_spawnp(&pid, program, &fa, NULL, argv, environ)) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		err = lade__error(LADE_EAUTH, "cannot run credential helper '%s': %s", program, strerror(errno));
		goto done;
	}
	posix_spawn_file_actions_destroy(&fa);
	close(in_pipe[0]);
	close(out_pipe[1]);
	in_pipe[0] = out_pipe[1] = -1;
	{
		/* A helper that exits without reading must not kill us with SIGPIPE. */
		struct sigaction ignore, old;
		memset(&ignore, 0, sizeof(ignore));
		ignore.sa_handler = SIG_IGN;
		sigaction(SIGPIPE, &ignore, &old);
		if (input && lade_fs_write_all(in_pipe[1], input, strlen(input), program) < 0)
			lade_error_clear();
		sigaction(SIGPIPE, &old, NULL);
	}
	close(in_pipe[1]);
	in_pipe[1] = -1;
	while ((n = read(out_pipe[0], chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || lade_buf_put(out, chunk, (size_t)n) < 0)
			break;
	}
	OPENSSL_cleanse(chunk, sizeof(chunk));
	while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR)
		;
	*status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 255;
done:
	if (in_pipe[0] >= 0)
		close(in_pipe[0]);
	if (in_pipe[1] >= 0)
		close(in_pipe[1]);
	if (out_pipe[0] >= 0)
		close(out_pipe[0]);
	if (out_pipe[1] >= 0)
		close(out_pipe[1]);
	if (err < 0)
		lade_buf_dispose(out);
	return err;
}

static void trim(char *s)
{
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
}

static int helper_get(const char *name, const char *key, lade_credential *out)
{
	lade_buf reply;
	int status = 0, err;
	if ((err = run_helper(name, "get", key, &reply, &status)) < 0)
		return err;
	if (status != 0) {
		trim(reply.ptr);
		if (strstr(reply.ptr, "credentials not found"))
			err = lade__error(LADE_ENOTFOUND, "no credentials for '%s' in docker-credential-%s", key, name);
		else
			err = lade__error(LADE_EAUTH, "docker-credential-%s get failed for '%s': %.200s", name, key,
					  reply.ptr);
		goto done;
	}
	err = lade__helper_reply_parse(reply.ptr, reply.size, name, out);
done:
	OPENSSL_cleanse(reply.ptr, reply.size);
	lade_buf_dispose(&reply);
	return err;
}

int lade__helper_reply_parse(const char *data, size_t len, const char *name, lade_credential *out)
{
	cJSON *json = NULL;
	const char *user, *secret;
	int err = 0;
	memset(out, 0, sizeof(*out));
	if (lade_json_parse(&json, data, len, HELPER_OUTPUT_MAX, "the reply") < 0)
		return lade__error(LADE_EAUTH, "docker-credential-%s get: %s", name, lade_error_last()->message);
	user = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(json, "Username"));
	secret = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(json, "Secret"));
	memset(out, 0, sizeof(*out));
	if (user && !strcmp(user, "<token>")) {
		if (!(out->identity_token = lade_strdup(secret ? secret : "")))
			err = LADE_ENOMEM;
	} else if (!(out->username = lade_strdup(user ? user : "")) ||
		   !(out->password = lade_strdup(secret ? secret : ""))) {
		err = LADE_ENOMEM;
	}
	if (err < 0)
		lade_credential_dispose(out);
	wipe_delete(json);
	return err;
}

static int decode_auth(const char *b64, lade_credential *out, const char *path)
{
	size_t len = strlen(b64);
	unsigned char *decoded = malloc(len + 4);
	int n;
	char *colon;
	if (!decoded)
		return lade_error_set_oom();
	n = EVP_DecodeBlock(decoded, (const unsigned char *)b64, (int)len);
	if (n < 0) {
		free(decoded);
		return lade__error(LADE_EINVALID, "'%s': an \"auth\" value is not base64", path);
	}
	/* EVP_DecodeBlock counts padding as data: drop the NULs it leaves. */
	while (len && b64[len - 1] == '=' && n > 0) {
		n--;
		len--;
	}
	decoded[n] = '\0';
	colon = strchr((char *)decoded, ':');
	if (!colon || colon == (char *)decoded) {
		OPENSSL_cleanse(decoded, (size_t)n);
		free(decoded);
		return lade__error(LADE_EINVALID, "'%s': an \"auth\" value is not user:password", path);
	}
	*colon = '\0';
	out->username = lade_strdup((char *)decoded);
	out->password = lade_strdup(colon + 1);
	OPENSSL_cleanse(decoded, (size_t)n);
	free(decoded);
	return out->username && out->password ? 0 : LADE_ENOMEM;
}

int lade_credentials_get(const lade_credentials_options *opts, const char *registry, lade_credential *out)
{
	const char **paths;
	char fallback[4096], key[256];
	size_t count, i;
	int err;

	memset(out, 0, sizeof(*out));
	if ((err = lade_credentials_key(registry, key, sizeof(key))) < 0 ||
	    (err = config_paths(opts, &paths, &count, fallback, sizeof(fallback))) < 0)
		return err;
	for (i = 0; i < count; i++) {
		cJSON *config = NULL, *entry;
		const char *helper;
		if ((err = load_config(paths[i], &config)) < 0)
			return err;
		helper = helper_for(config, key);
		if (helper) {
			err = helper_get(helper, key, out);
			wipe_delete(config);
			if (err == LADE_ENOTFOUND) {
				lade_error_clear();
				continue;
			}
			return err;
		}
		if ((entry = find_auth(config, key, registry))) {
			const char *auth = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(entry, "auth"));
			const char *user = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(entry, "username"));
			const char *pass = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(entry, "password"));
			const char *identity = cJSON_GetStringValue(
			    cJSON_GetObjectItemCaseSensitive(entry, "identitytoken"));
			const char *token = cJSON_GetStringValue(
			    cJSON_GetObjectItemCaseSensitive(entry, "registrytoken"));
			err = 0;
			if (auth && *auth)
				err = decode_auth(auth, out, paths[i]);
			else if (user && *user && !(out->username = lade_strdup(user)))
				err = LADE_ENOMEM;
			if (!err && pass && *pass && !out->password && !(out->password = lade_strdup(pass)))
				err = LADE_ENOMEM;
			if (!err && identity && *identity && !(out->identity_token = lade_strdup(identity)))
				err = LADE_ENOMEM;
			if (!err && token && *token && !(out->registry_token = lade_strdup(token)))
				err = LADE_ENOMEM;
			wipe_delete(config);
			if (err < 0) {
				lade_credential_dispose(out);
				return err;
			}
			if (out->username || out->identity_token || out->registry_token)
				return 0;
			/* A password alone is no credential: wipe and free it, and look on. */
			lade_credential_dispose(out);
			continue;
		}
		wipe_delete(config);
	}
	return lade__error(LADE_ENOTFOUND, "no stored credentials for '%s'", registry);
}

static int save_config(const char *path, cJSON *config)
{
	char dir[4096], *slash;
	lade_buf data;
	char *text;
	int err;
	if (lade_snprintf(dir, sizeof(dir), "%s", path) < 0)
		return LADE_ETOOLARGE;
	if ((slash = strrchr(dir, '/')) && slash != dir) {
		*slash = '\0';
		if ((err = lade__mkdirs(dir, 0700)) < 0)
			return err;
	}
	if (!(text = cJSON_Print(config)))
		return lade_error_set_oom();
	lade_buf_init(&data, CONFIG_MAX);
	if ((err = lade_buf_puts(&data, text)) == 0 && (err = lade_buf_puts(&data, "\n")) == 0)
		err = lade__write_file_atomic(path, data.ptr, data.size, 0600);
	OPENSSL_cleanse(text, strlen(text));
	cJSON_free(text);
	OPENSSL_cleanse(data.ptr, data.size);
	lade_buf_dispose(&data);
	return err;
}

/* The key for registry and the first config file (the one store and erase change), loaded. */
/*
 * The file a store or erase writes: the first config, and when that is a
 * symlink, the file it points to, so the link stays a link (as docker
 * login leaves it) and the new file is renamed in beside its target.
 */
static int config_target(const lade_credentials_options *opts, char *path, size_t pathlen)
{
	const char **paths;
	char fallback[4096], link[4096];
	size_t count;
	struct stat st;
	int err, hops;
	if ((err = config_paths(opts, &paths, &count, fallback, sizeof(fallback))) < 0 ||
	    (err = lade_snprintf(path, pathlen, "%s", paths[0])) < 0)
		return err;
	for (hops = 0; lstat(path, &st) == 0 && S_ISLNK(st.st_mode); hops++) {
		ssize_t n = readlink(path, link, sizeof(link) - 1);
		char *slash = strrchr(path, '/');
		if (n < 0 || hops >= 40)
			return lade__error(LADE_EIO, "cannot follow the link '%s'", paths[0]);
		link[n] = '\0';
		if (link[0] == '/' || !slash)
			err = lade_snprintf(path, pathlen, "%s", link);
		else {
			char dir[4096];
			snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
			err = lade_snprintf(path, pathlen, "%s/%s", dir, link);
		}
		if (err < 0)
			return err;
	}
	return 0;
}

/*
 * Stores and erases are read-modify-write: under an exclusive lock on
 * <config>.lock beside the file, so twenty logins at once all end up in it.
 * The lock file stays (removing it would let two writers lock different files).
 */
static int lock_config(const char *path, int *fd_out)
{
	char lock[4200], dir[4096], *slash;
	int fd, err;
	if ((err = lade_snprintf(dir, sizeof(dir), "%s", path)) < 0 ||
	    (err = lade_snprintf(lock, sizeof(lock), "%s.lock", path)) < 0)
		return err;
	if ((slash = strrchr(dir, '/')) && slash != dir) {
		*slash = '\0';
		if ((err = lade__mkdirs(dir, 0700)) < 0)
			return err;
	}
	if ((fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0)
		return lade__error(LADE_EIO, "cannot open '%s': %s", lock, strerror(errno));
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			err = lade__error(LADE_EIO, "cannot lock '%s': %s", lock, strerror(errno));
			close(fd);
			return err;
		}
	}
	*fd_out = fd;
	return 0;
}

static int load_first_config(const lade_credentials_options *opts, const char *registry, char *key, size_t keylen,
			     char *path, size_t pathlen, cJSON **config)
{
	int err;
	if ((err = lade_credentials_key(registry, key, keylen)) < 0 || (err = config_target(opts, path, pathlen)) < 0)
		return err;
	return load_config(path, config);
}

static int store_locked(const lade_credentials_options *opts, const char *registry, const lade_credential *cred);
static int erase_locked(const lade_credentials_options *opts, const char *registry);

int lade_credentials_store(const lade_credentials_options *opts, const char *registry, const lade_credential *cred)
{
	char path[4096];
	int fd, err;
	if ((err = config_target(opts, path, sizeof(path))) < 0 || (err = lock_config(path, &fd)) < 0)
		return err;
	err = store_locked(opts, registry, cred);
	close(fd);
	return err;
}

int lade_credentials_erase(const lade_credentials_options *opts, const char *registry)
{
	char path[4096];
	int fd, err;
	if ((err = config_target(opts, path, sizeof(path))) < 0 || (err = lock_config(path, &fd)) < 0)
		return err;
	err = erase_locked(opts, registry);
	close(fd);
	return err;
}

static int store_locked(const lade_credentials_options *opts, const char *registry, const lade_credential *cred)
{
	char path[4096], key[256];
	cJSON *config = NULL, *auths, *entry;
	const char *helper;
	int err;

	if ((err = load_first_config(opts, registry, key, sizeof(key), path, sizeof(path), &config)) < 0)
		return err;
	helper = helper_for(config, key);
	if (helper) {
		cJSON *msg = cJSON_CreateObject();
		char *text;
		lade_buf reply;
		int status = 0;
		cJSON_AddStringToObject(msg, "ServerURL", key);
		cJSON_AddStringToObject(msg, "Username",
					cred->identity_token ? "<token>" : (cred->username ? cred->username : ""));
		cJSON_AddStringToObject(msg, "Secret",
					cred->identity_token ? cred->identity_token
							     : (cred->password ? cred->password : ""));
		text = cJSON_PrintUnformatted(msg);
		cJSON_Delete(msg);
		if (!text) {
			wipe_delete(config);
			return lade_error_set_oom();
		}
		err = run_helper(helper, "store", text, &reply, &status);
		OPENSSL_cleanse(text, strlen(text));
		cJSON_free(text);
		if (err == 0) {
			if (status != 0) {
				trim(reply.ptr);
				err = lade__error(LADE_EAUTH, "docker-credential-%s store failed: %.200s", helper,
						  reply.ptr);
			}
			lade_buf_dispose(&reply);
		}
		wipe_delete(config);
		return err;
	}
	if (!(auths = cJSON_GetObjectItemCaseSensitive(config, "auths"))) {
		auths = cJSON_AddObjectToObject(config, "auths");
	} else if (!cJSON_IsObject(auths)) {
		wipe_delete(config);
		return lade__error(LADE_EINVALID, "'%s': \"auths\" is not an object", path);
	}
	entry = cJSON_CreateObject();
	if (!auths || !entry) {
		cJSON_Delete(entry);
		wipe_delete(config);
		return lade_error_set_oom();
	}
	if (cred->identity_token) {
		cJSON_AddStringToObject(entry, "identitytoken", cred->identity_token);
	} else {
		char plain[2048];
		unsigned char encoded[2800];
		int n;
		if (lade_snprintf(plain, sizeof(plain), "%s:%s", cred->username ? cred->username : "",
				  cred->password ? cred->password : "") < 0) {
			cJSON_Delete(entry);
			wipe_delete(config);
			return lade__error(LADE_EINVALID, "credentials are too long");
		}
		n = EVP_EncodeBlock(encoded, (const unsigned char *)plain, (int)strlen(plain));
		encoded[n] = '\0';
		cJSON_AddStringToObject(entry, "auth", (const char *)encoded);
		OPENSSL_cleanse(plain, sizeof(plain));
		OPENSSL_cleanse(encoded, sizeof(encoded));
	}
	cJSON_DeleteItemFromObjectCaseSensitive(auths, key);
	cJSON_AddItemToObject(auths, key, entry);
	err = save_config(path, config);
	wipe_delete(config);
	return err;
}

static int erase_locked(const lade_credentials_options *opts, const char *registry)
{
	char path[4096], key[256];
	cJSON *config = NULL, *entry;
	const char *helper;
	int err;

	if ((err = load_first_config(opts, registry, key, sizeof(key), path, sizeof(path), &config)) < 0)
		return err;
	helper = helper_for(config, key);
	if (helper) {
		lade_buf reply;
		int status = 0;
		err = run_helper(helper, "erase", key, &reply, &status);
		wipe_delete(config);
		if (err < 0)
			return err;
		if (status != 0) {
			trim(reply.ptr);
			err = strstr(reply.ptr, "not found")
				  ? lade__error(LADE_ENOTFOUND, "no credentials for '%s' in its credential helper", key)
				  : lade__error(LADE_EAUTH, "the credential helper's erase failed: %.200s", reply.ptr);
		}
		lade_buf_dispose(&reply);
		return err;
	}
	if (!(entry = find_auth(config, key, registry))) {
		wipe_delete(config);
		return lade__error(LADE_ENOTFOUND, "no stored credentials for '%s' in '%s'", registry, path);
	}
	cJSON_Delete(cJSON_DetachItemViaPointer(cJSON_GetObjectItemCaseSensitive(config, "auths"), entry));
	err = save_config(path, config);
	wipe_delete(config);
	return err;
}
