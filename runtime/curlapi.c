#include "curlapi.h"

#include <dlfcn.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

struct inf_curl_api inf_curl;

#define SONAME "libcurl.so.4"

int inf_curl_load(char *err, size_t n)
{
	static const struct {
		const char *name;
		size_t off;
	} syms[] = {
#define SYM(f) { "curl_" #f, offsetof(struct inf_curl_api, f) }
		SYM(global_init), SYM(global_cleanup), SYM(easy_init),
		SYM(easy_cleanup), SYM(easy_reset), SYM(easy_setopt),
		SYM(easy_perform), SYM(easy_getinfo), SYM(easy_strerror),
		SYM(slist_append), SYM(slist_free_all),
#undef SYM
	};
	struct inf_curl_api api = { 0 };
	void *h;

	if (inf_curl.loaded)
		return 0;
	/* kept for the life of the process: libcurl is never unloaded */
	if (!(h = dlopen(SONAME, RTLD_NOW | RTLD_LOCAL))) {
		snprintf(err, n, "cannot load %s (install libcurl4): %s", SONAME, dlerror());
		return -1;
	}
	for (size_t i = 0; i < sizeof syms / sizeof syms[0]; i++) {
		void *f = dlsym(h, syms[i].name);
		if (!f) {
			snprintf(err, n, "%s has no %s", SONAME, syms[i].name);
			dlclose(h);
			return -1;
		}
		/* POSIX: a function pointer round-trips through void * */
		memcpy((char *)&api + syms[i].off, &f, sizeof f);
	}
	api.loaded = 1;
	inf_curl = api;
	return 0;
}

void inf_curl_free_lines(struct curl_slist *list)
{
	for (struct curl_slist *l = list; l; l = l->next)
		explicit_bzero(l->data, strlen(l->data));
	curl_slist_free_all(list);
}

int inf_curl_add_line(void *ctx, const char *line, struct inf_error *err)
{
	struct curl_slist **list = ctx, *t = curl_slist_append(*list, line);

	if (!t)
		return inf_error_set(err, INF_FAIL_NOMEM, "out of memory");
	*list = t;
	return 0;
}

void inf_curl_reset(CURL *curl)
{
	curl_socket_t sock = CURL_SOCKET_BAD;
	int stale = 0;

	if (curl_easy_getinfo(curl, CURLINFO_ACTIVESOCKET, &sock) == CURLE_OK &&
	    sock != CURL_SOCKET_BAD) {
		struct pollfd p = { sock, POLLIN, 0 };
		stale = poll(&p, 1, 0) != 0;
	}
	curl_easy_reset(curl);
	curl_easy_setopt(curl, CURLOPT_MAXCONNECTS, 1L);
	if (stale)
		curl_easy_setopt(curl, CURLOPT_FRESH_CONNECT, 1L);
}
