/* lade login / lade logout: credentials where docker login keeps them. */
#include "common.h"

#include <string.h>
#include <unistd.h>

static const char LOGIN_HELP[] = "Usage: lade login [options] <registry>\n"
				 "\n"
				 "Check credentials against the registry, then store them as docker login\n"
				 "does: through the credential helper the Docker config names (credsStore,\n"
				 "credHelpers), else base64 in its \"auths\" (the file is rewritten\n"
				 "atomically, mode 0600, keeping every other key). Without -u/-p the user\n"
				 "name and password are asked for on the terminal, the password without echo.\n";

static const char LOGOUT_HELP[] = "Usage: lade logout [options] <registry>\n"
				  "\n"
				  "Forget the stored credentials for a registry.\n"
				  "\n"
				  "Options:\n"
				  "      --registry-config F   the Docker config.json to change\n"
				  "  -h, --help                show this help\n";

/* A bare registry host from "host", "host/...", or "https://host/". */
static int registry_host(const char *arg, lade_ref *ref)
{
	const char *p = strstr(arg, "://");
	size_t n;
	memset(ref, 0, sizeof(*ref));
	p = p ? p + 3 : arg;
	n = strcspn(p, "/");
	if (!n || n >= sizeof(ref->registry)) {
		fprintf(stderr, "lade: '%s' is not a registry host\n", arg);
		return -1;
	}
	memcpy(ref->registry, p, n);
	if (!strcmp(ref->registry, "index.docker.io") || !strcmp(ref->registry, "registry-1.docker.io"))
		strcpy(ref->registry, "docker.io");
	return 0;
}

int cmd_login(int argc, char **argv)
{
	static const struct option long_options[] = {
	    TARGET_LONG_OPTIONS,
	    {NULL, 0, NULL, 0},
	};
	target_opts topts;
	lade_ref ref;
	lade_registry_options ro = LADE_REGISTRY_OPTIONS_INIT;
	lade_credentials_options co = LADE_CREDENTIALS_OPTIONS_INIT;
	lade_credential cred = {0};
	lade_target *t = NULL;
	char user[512], pass[4096];
	int opt, handled, rc = EXIT_FAILURE_;

	target_opts_init(&topts);
	while ((opt = getopt_long(argc, argv, TARGET_SHORT_OPTIONS "", long_options, NULL)) != -1) {
		if ((handled = target_opts_handle(&topts, opt, optarg)) < 0)
			return usage_error("login", "bad arguments");
		if (handled)
			continue;
		if (opt == 'h') {
			printf("%s\n%s", LOGIN_HELP, TARGET_OPTIONS_HELP);
			return EXIT_OK;
		}
		return usage_error("login", "bad arguments");
	}
	if (argc - optind != 1)
		return usage_error("login", "login takes exactly one registry");
	if (target_opts_finish(&topts) < 0)
		return usage_error("login", "bad credentials options");
	if (registry_host(argv[optind], &ref) < 0)
		return EXIT_USAGE;
	if (!topts.identity_token) {
		if (!topts.username) {
			if (read_secret("Username: ", user, sizeof(user), 1) < 0 || !user[0])
				return failf("login to '%s' needs a user name", ref.registry);
			topts.username = user;
		}
		if (!topts.password) {
			if (read_secret("Password: ", pass, sizeof(pass), 0) < 0 || !pass[0])
				return failf("login to '%s' needs a password", ref.registry);
			topts.password = pass;
		}
	}
	target_opts_registry(&topts, &ro);
	ro.username = topts.username;
	ro.password = topts.password;
	ro.identity_token = topts.identity_token;
	if (lade_registry_open(&t, &ref, &ro) < 0 || lade_registry_ping(t) < 0) {
		rc = fail();
		goto done;
	}
	cred.username = (char *)topts.username;
	cred.password = (char *)topts.password;
	cred.identity_token = (char *)topts.identity_token;
	co.config_paths = topts.config_paths;
	co.config_count = topts.config_count;
	if (lade_credentials_store(&co, ref.registry, &cred) < 0) {
		rc = fail();
		goto done;
	}
	printf("Login Succeeded: %s\n", ref.registry);
	rc = EXIT_OK;
done:
	lade_target_free(t);
	memset(pass, 0, sizeof(pass));
	return rc;
}

int cmd_logout(int argc, char **argv)
{
	static const struct option long_options[] = {
	    {"registry-config", required_argument, NULL, OPT_REGISTRY_CONFIG},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	lade_credentials_options co = LADE_CREDENTIALS_OPTIONS_INIT;
	const char *paths[1];
	lade_ref ref;
	int opt;

	while ((opt = getopt_long(argc, argv, "h", long_options, NULL)) != -1) {
		if (opt == 'h') {
			printf("%s", LOGOUT_HELP);
			return EXIT_OK;
		}
		if (opt != OPT_REGISTRY_CONFIG)
			return usage_error("logout", "bad arguments");
		paths[0] = optarg;
		co.config_paths = paths;
		co.config_count = 1;
	}
	if (argc - optind != 1)
		return usage_error("logout", "logout takes exactly one registry");
	if (registry_host(argv[optind], &ref) < 0)
		return EXIT_USAGE;
	if (lade_credentials_erase(&co, ref.registry) < 0)
		return fail();
	printf("Removed login credentials for %s\n", ref.registry);
	return EXIT_OK;
}
