# Test-only plugins for the Check suites (bad descriptors, a failing
# init, a plugin that errors or drops on demand, one option of each type).
# Included from the main Makefile, which provides BUILD, CC and CFLAGS.
# The suites find them in $(BUILD)/test-plugins.

FIXTURE_PLUGIN_SRC := $(wildcard tests/fixtures/plugins/*.c)
FIXTURE_PLUGINS    := $(FIXTURE_PLUGIN_SRC:tests/fixtures/plugins/%.c=$(BUILD)/test-plugins/%.so)

$(BUILD)/test-plugins/%.so: tests/fixtures/plugins/%.c core/include/inflight/plugin.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fvisibility=hidden -shared -o $@ $<
