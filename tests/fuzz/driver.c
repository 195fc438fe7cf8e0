/*
 * driver.c - runs a fuzz target without libFuzzer: every file of the seed
 * corpus, then ITERATIONS inputs mutated from them with a fixed seed, so a
 * failure is reproducible. Usage: fuzz_<target> CORPUS_DIR [ITERATIONS]
 */
#include "fuzz.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SEEDS 64
#define INPUT_MAX 65536

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t next_random(void)
{
	/* xorshift64*: small, fast, and the same on every machine */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ull;
}

static size_t mutate(uint8_t *buf, size_t len, size_t cap)
{
	static const char interesting[] = "{}[]\":,@/.-_+0123456789abcdefsha256:nulltrue \\u0000";
	int steps = 1 + (int)(next_random() % 4), i;
	for (i = 0; i < steps; i++) {
		size_t at = len ? (size_t)(next_random() % len) : 0;
		switch (next_random() % 5) {
		case 0: /* flip a bit */
			if (len)
				buf[at] ^= (uint8_t)(1u << (next_random() % 8));
			break;
		case 1: /* overwrite with a character that matters to the grammar */
			if (len)
				buf[at] = (uint8_t)interesting[next_random() % (sizeof(interesting) - 1)];
			break;
		case 2: /* insert */
			if (len < cap) {
				memmove(buf + at + 1, buf + at, len - at);
				buf[at] = (uint8_t)interesting[next_random() % (sizeof(interesting) - 1)];
				len++;
			}
			break;
		case 3: /* delete a run */
			if (len) {
				size_t n = 1 + (size_t)(next_random() % 8);
				if (n > len - at)
					n = len - at;
				memmove(buf + at, buf + at + n, len - at - n);
				len -= n;
			}
			break;
		default: /* duplicate a run */
			if (len && len < cap) {
				size_t n = 1 + (size_t)(next_random() % 16);
				if (n > len - at)
					n = len - at;
				if (n > cap - len)
					n = cap - len;
				memmove(buf + at + n, buf + at, len - at);
				len += n;
			}
			break;
		}
	}
	return len;
}

int main(int argc, char **argv)
{
	static uint8_t seeds[MAX_SEEDS][INPUT_MAX];
	static size_t seed_len[MAX_SEEDS];
	static uint8_t work[INPUT_MAX];
	size_t nseeds = 0, i;
	long iterations = argc > 2 ? atol(argv[2]) : 20000, n;
	DIR *dir;
	struct dirent *e;

	if (argc < 2 || !(dir = opendir(argv[1]))) {
		fprintf(stderr, "usage: %s CORPUS_DIR [ITERATIONS]\n", argv[0]);
		return 2;
	}
	while ((e = readdir(dir)) && nseeds < MAX_SEEDS) {
		char path[4096];
		FILE *f;
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", argv[1], e->d_name);
		if (!(f = fopen(path, "rb")))
			continue;
		seed_len[nseeds] = fread(seeds[nseeds], 1, INPUT_MAX, f);
		fclose(f);
		LLVMFuzzerTestOneInput(seeds[nseeds], seed_len[nseeds]);
		nseeds++;
	}
	closedir(dir);
	if (!nseeds) {
		fprintf(stderr, "%s: no seeds in %s\n", argv[0], argv[1]);
		return 1;
	}
	for (n = 0; n < iterations; n++) {
		i = (size_t)(next_random() % nseeds);
		memcpy(work, seeds[i], seed_len[i]);
		LLVMFuzzerTestOneInput(work, mutate(work, seed_len[i], INPUT_MAX));
	}
	printf("%s: %zu seeds, %ld mutated inputs, no crash\n", argv[0], nseeds, iterations);
	return 0;
}
