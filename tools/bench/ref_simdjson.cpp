// The "hand-specialised simdjson program" of `make bench`: drops price and
// discount from every record of an NDJSON file, the way a user who reaches
// for the fastest JSON library would write it: simdjson's On-Demand API
// over the whole file loaded into memory (padded_string::load,
// iterate_many), one output line per record: the other members in their
// order, keys unescaped and written back quoted, values copied as their raw
// JSON text. simdjson checks
// structure and UTF-8 of everything; numbers and literals it copies without
// parsing are not checked (inflight checks them).
//
// usage: ref_simdjson IN OUT     exit 0, or 1 with a message on stderr
// Built and run only by tools/bench (needs libsimdjson-dev and g++).
#include <simdjson.h>

#include <cstdio>
#include <string>
#include <utility>
#include <string_view>

static void put_key(std::string &out, std::string_view k)
{
	static const char hex[] = "0123456789abcdef";

	out += '"';
	for (unsigned char c : k) {
		if (c == '"' || c == '\\') {
			out += '\\';
			out += (char)c;
		} else if (c < 0x20) {
			out += "\\u00";
			out += hex[c >> 4];
			out += hex[c & 15];
		} else {
			out += (char)c;
		}
	}
	out += "\":";
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		std::fprintf(stderr, "usage: ref_simdjson IN OUT\n");
		return 1;
	}
	simdjson::padded_string json;
	if (auto e = simdjson::padded_string::load(argv[1]).get(json)) {
		std::fprintf(stderr, "ref_simdjson: %s: %s\n", argv[1], simdjson::error_message(e));
		return 1;
	}
	std::FILE *f = std::fopen(argv[2], "wb");
	if (!f) {
		std::perror(argv[2]);
		return 1;
	}
	simdjson::ondemand::parser parser;
	simdjson::ondemand::document_stream docs;
	if (auto e = parser.iterate_many(json).get(docs)) {
		std::fprintf(stderr, "ref_simdjson: %s\n", simdjson::error_message(e));
		return 1;
	}
	std::string out;
	out.reserve(1 << 20);
	size_t n = 0;
	simdjson::error_code e;
	for (auto doc : docs) {
		simdjson::ondemand::object obj;
		n++;
		if ((e = doc.get_object().get(obj)))
			goto bad;
		out += '{';
		{
			bool first = true;
			for (auto res : obj) {
				simdjson::ondemand::field field;
				simdjson::ondemand::value v;
				simdjson::ondemand::json_type type;
				std::string_view key, raw;

				if ((e = std::move(res).get(field)) || (e = field.unescaped_key().get(key)))
					goto bad;
				v = field.value();
				if ((e = v.type().get(type)))
					goto bad;
				if (key == "price" || key == "discount")
					continue; /* the iterator skips the value */
				if (type == simdjson::ondemand::json_type::object) {
					simdjson::ondemand::object o;
					if ((e = v.get_object().get(o)) || (e = o.raw_json().get(raw)))
						goto bad;
				} else if (type == simdjson::ondemand::json_type::array) {
					simdjson::ondemand::array a;
					if ((e = v.get_array().get(a)) || (e = a.raw_json().get(raw)))
						goto bad;
				} else {
					raw = v.raw_json_token();
				}
				while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\t' ||
							raw.back() == '\n' || raw.back() == '\r'))
					raw.remove_suffix(1);
				if (!first)
					out += ',';
				first = false;
				put_key(out, key);
				out += raw;
			}
		}
		out += "}\n";
		if (out.size() >= (1 << 20)) {
			if (std::fwrite(out.data(), 1, out.size(), f) != out.size()) {
				std::perror(argv[2]);
				return 1;
			}
			out.clear();
		}
	}
	if (std::fwrite(out.data(), 1, out.size(), f) != out.size() || std::fclose(f)) {
		std::perror(argv[2]);
		return 1;
	}
	return 0;
bad:
	std::fprintf(stderr, "ref_simdjson: %s: record %zu: %s\n", argv[1], n,
		     simdjson::error_message(e));
	return 1;
}
