// The validation reference of `make bench`: what validating every record
// costs with the fastest validating parser at hand, and nothing else. The file is
// cut at newlines into one part per CPU; each part is read by its own
// thread in 4 MiB pieces into a reused buffer and every record parsed with
// simdjson's DOM parser (parse_many), which checks all of JSON: structure,
// strings, UTF-8, numbers, literals. No record is written: this is not a
// filter, it is a yardstick for the part of a validating filter's work that
// no design of the transform can remove (inflight's drop, writing included,
// now takes about its user time: PROFILE.md items 23-24).
//
// usage: ref_validate IN OUT    writes the number of records to OUT;
//                               exit 0, or 1 with a message on stderr
// Built and run only by tools/bench (needs libsimdjson-dev and g++).
#include <simdjson.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr size_t PIECE = 4u << 20;

struct Part {
	off_t begin, end;
	size_t records = 0;
	std::string error;
};

// The offset just past the first '\n' at or after `at` (the file's size
// when there is none): where a part may start.
off_t line_start(int fd, off_t at, off_t size)
{
	char buf[65536];

	while (at < size) {
		ssize_t n = pread(fd, buf, sizeof buf, at);
		if (n <= 0)
			return size;
		if (const void *nl = memchr(buf, '\n', (size_t)n))
			return at + ((const char *)nl - buf) + 1;
		at += n;
	}
	return size;
}

void validate(int fd, Part *p)
{
	// a piece and the start of a record that the piece before cut off
	std::vector<uint8_t> buf(2 * PIECE + simdjson::SIMDJSON_PADDING);
	simdjson::dom::parser parser;
	size_t have = 0;
	off_t at = p->begin;

	while (at < p->end || have) {
		size_t want = (size_t)std::min<off_t>(PIECE, p->end - at);
		ssize_t n = want ? pread(fd, buf.data() + have, want, at) : 0;
		if (n < 0 || (size_t)n != want) {
			p->error = n < 0 ? strerror(errno) : "short read";
			return;
		}
		at += n;
		have += (size_t)n;
		size_t cut = have;
		if (at < p->end) {  // the rest after the last newline waits for more
			const void *nl = memrchr(buf.data(), '\n', have);
			cut = nl ? (size_t)((const uint8_t *)nl - buf.data()) + 1 : 0;
			if (have - cut > PIECE) {
				p->error = "a record longer than 4 MiB";
				return;
			}
		}
		if (cut) {
			simdjson::dom::document_stream docs;
			if (auto e = parser.parse_many(buf.data(), cut, PIECE).get(docs)) {
				p->error = simdjson::error_message(e);
				return;
			}
			for (auto doc : docs) {
				if (doc.error()) {
					p->error = simdjson::error_message(doc.error());
					return;
				}
				p->records++;
			}
		}
		memmove(buf.data(), buf.data() + cut, have - cut);
		have -= cut;
	}
}

}  // namespace

int main(int argc, char **argv)
{
	if (argc != 3) {
		std::fprintf(stderr, "usage: ref_validate IN OUT\n");
		return 1;
	}
	int fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	off_t size = fd < 0 ? -1 : lseek(fd, 0, SEEK_END);
	if (fd < 0 || size < 0) {
		std::perror(argv[1]);
		return 1;
	}
	unsigned nparts = std::max(1u, std::thread::hardware_concurrency());
	std::vector<Part> parts(nparts);
	for (unsigned i = 0; i < nparts; i++) {
		parts[i].begin = i ? line_start(fd, size / nparts * i, size) : 0;
		if (i)
			parts[i - 1].end = parts[i].begin;
	}
	parts[nparts - 1].end = size;
	std::vector<std::thread> threads;
	for (unsigned i = 1; i < nparts; i++)
		threads.emplace_back(validate, fd, &parts[i]);
	validate(fd, &parts[0]);
	size_t records = 0;
	for (auto &t : threads)
		t.join();
	for (auto &p : parts) {
		if (!p.error.empty()) {
			std::fprintf(stderr, "ref_validate: %s: at bytes %lld-%lld: %s\n", argv[1],
				     (long long)p.begin, (long long)p.end, p.error.c_str());
			return 1;
		}
		records += p.records;
	}
	std::FILE *out = std::fopen(argv[2], "w");
	if (!out || std::fprintf(out, "%zu\n", records) < 0 || std::fclose(out)) {
		std::perror(argv[2]);
		return 1;
	}
	return 0;
}
