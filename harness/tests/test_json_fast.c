/* test_json_fast.c - gp_json_load_fast against jansson's json_loadb(JSON_DECODE_ANY): whenever
 * the fast loader builds a tree, jansson builds the same one (types, values, string bytes, key
 * order); whenever it calls a text invalid, jansson refuses it too. Checked over a table of
 * hostile inputs, every recorded fixture frame, generated frames and random mutations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <dirent.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "json_fast.h"
#include "text_corpus.h"

/* Bytes the mutator inserts most often; also the digits and the "d" of hex escapes. */
#define FAST_INTERESTING "{}[]\":,\\u0eE.-+ \x00\x80\xc3\xed\xf0\xff\"\\ntfa9d"

/* ---- the strict comparer ---- */

/* json_equal is not enough: it lets 1 equal 1.0 only by type but ignores key order, and
 * compares reals by value, so -0.0 would equal 0.0. This one compares types, integer values,
 * the bits of reals, string bytes with their length, and object members in iteration order. */
static bool same_tree(json_t *a, json_t *b)
{
    size_t i;

    if (!a || !b || json_typeof(a) != json_typeof(b))
        return false;
    switch (json_typeof(a)) {
    case JSON_OBJECT: {
        void *ia = json_object_iter(a), *ib = json_object_iter(b);

        if (json_object_size(a) != json_object_size(b))
            return false;
        for (; ia && ib; ia = json_object_iter_next(a, ia), ib = json_object_iter_next(b, ib)) {
            size_t la = json_object_iter_key_len(ia);

            if (la != json_object_iter_key_len(ib) ||
                memcmp(json_object_iter_key(ia), json_object_iter_key(ib), la) != 0 ||
                !same_tree(json_object_iter_value(ia), json_object_iter_value(ib)))
                return false;
        }
        return !ia && !ib;
    }
    case JSON_ARRAY:
        if (json_array_size(a) != json_array_size(b))
            return false;
        for (i = 0; i < json_array_size(a); i++)
            if (!same_tree(json_array_get(a, i), json_array_get(b, i)))
                return false;
        return true;
    case JSON_STRING:
        return json_string_length(a) == json_string_length(b) &&
               memcmp(json_string_value(a), json_string_value(b), json_string_length(a)) == 0;
    case JSON_INTEGER:
        return json_integer_value(a) == json_integer_value(b);
    case JSON_REAL: {
        double da = json_real_value(a), db = json_real_value(b);

        return memcmp(&da, &db, sizeof da) == 0;
    }
    default:
        return true; /* true, false and null are singletons of their type */
    }
}

/* ---- agreement ---- */

enum { OUT_FALLBACK = -1, OUT_INVALID = 0, OUT_TREE = 1 };

struct tally {
    size_t n[3]; /* fallback, invalid, tree */
};

/* Runs both on an exact-size heap copy, so a read past len is caught under ASan, and fails the
 * test when they disagree. Returns the fast loader's outcome; *out, when given, receives its
 * tree (the caller frees it). */
static int check_fast(const char *text, size_t len, struct tally *t, json_t **out)
{
    char *copy = malloc(len ? len : 1);
    json_error_t jerr;
    json_t *fast, *slow;
    int fb = -7, outcome;

    assert_non_null(copy);
    if (len)
        memcpy(copy, text, len);
    fast = gp_json_load_fast(copy, len, &fb);
    slow = json_loadb(copy, len, JSON_DECODE_ANY, &jerr);
    outcome = fast ? OUT_TREE : fb ? OUT_FALLBACK : OUT_INVALID;
    if ((fast && (fb != 0 || !same_tree(fast, slow))) || (!fast && fb != 0 && fb != 1) ||
        (outcome == OUT_INVALID && slow)) {
        dump_text("text", text, len);
        print_message("fast %s (fallback %d); json_loadb %s%s\n", fast ? "tree" : "NULL", fb,
                      slow ? "tree" : "NULL: ", slow ? "" : jerr.text);
        fail_msg("gp_json_load_fast disagrees with json_loadb");
    }
    if (out)
        *out = fast;
    else
        json_decref(fast);
    json_decref(slow);
    free(copy);
    if (t)
        t->n[outcome + 1]++;
    return outcome;
}

/* ---- the table ---- */

#define F(s) s, sizeof(s) - 1

struct fast_case {
    const char *name;
    const char *text;
    size_t len;
    int expect;
};

static const struct fast_case fast_cases[] = {
    /* Frames as servers send them. */
    {"typical tool_completed",
     F("{\"type\":\"tool_completed\",\"timestamp\":1758204001.2,\"user_id\":\"gp-user-17\","
       "\"thread_id\":\"thread-gp-user-17-3f2a\",\"run_id\":\"run_17_ab12\",\"tool_name\":"
       "\"cost_analyzer\",\"results\":{\"rows\":12},\"duration\":41}"),
     OUT_TREE},
    {"payload envelope",
     F("{\"type\":\"reasoning\",\"event\":\"reasoning\",\"timestamp\":\"2026-12-02T07:33:19.398Z\","
       "\"critical\":true,\"payload\":{\"user_id\":\"gp-user-0\",\"thread_id\":\"th-0\","
       "\"run_id\":\"run_1_ef0dcf6f\",\"reasoning\":\"Step 2 of turn 1.\"}}"),
     OUT_TREE},
    {"whitespace everywhere", F(" \r\n\t{ \"type\" :\t\"agent_error\" ,\n\"a\" : [ 1 , 2 ] } \n"),
     OUT_TREE},
    {"empty containers", F("{\"a\":{},\"b\":[],\"c\":[{}],\"d\":{\"e\":[]}}"), OUT_TREE},
    {"nested mix", F("{\"a\":[1,-2.5e-3,{\"b\":[true,false,null]}],\"c\":{\"d\":{\"e\":\"f\"}}}"),
     OUT_TREE},

    /* Any value at the top, as JSON_DECODE_ANY allows. */
    {"top-level string", F("\"agent_started\""), OUT_TREE},
    {"top-level integer", F(" 42 "), OUT_TREE},
    {"top-level real", F("-1.5"), OUT_TREE},
    {"top-level true", F("true"), OUT_TREE},
    {"top-level null", F("\nnull\t"), OUT_TREE},
    {"top-level array", F("[1,\"a\",[],{}]"), OUT_TREE},

    /* Key order and duplicates: the last value wins where the first key stood. */
    {"key order", F("{\"z\":1,\"a\":2,\"m\":3,\"b\":4}"), OUT_TREE},
    {"duplicate keeps position", F("{\"a\":1,\"b\":2,\"a\":3}"), OUT_TREE},
    {"duplicate changes type", F("{\"a\":{\"x\":1},\"b\":2,\"a\":\"s\",\"a\":[1]}"), OUT_TREE},
    {"duplicate nested", F("{\"o\":{\"k\":1,\"k\":2},\"o\":{\"j\":3}}"), OUT_TREE},
    {"many keys",
     F("{\"k0\":0,\"k1\":1,\"k2\":2,\"k3\":3,\"k4\":4,\"k5\":5,\"k6\":6,\"k7\":7,"
       "\"k8\":8,\"k9\":9,\"ka\":10,\"kb\":11,\"kc\":12,\"kd\":13,\"ke\":14}"),
     OUT_TREE},
    {"empty key", F("{\"\":1,\"\":2}"), OUT_TREE},
    {"escaped key equals plain key", F("{\"type\":1,\"typ\\u0065\":2}"), OUT_TREE},

    /* Numbers. */
    {"zeros", F("[0,-0,0.0,-0.0,0e0,-0E-0,0.000]"), OUT_TREE},
    {"integers", F("[1,-1,17,1234567890,-987654321]"), OUT_TREE},
    {"INT64 edges", F("[9223372036854775807,-9223372036854775808,9223372036854775806]"), OUT_TREE},
    {"integer overflow", F("9223372036854775808"), OUT_INVALID},
    {"negative integer overflow", F("-9223372036854775809"), OUT_INVALID},
    {"20 digits", F("[12345678901234567890]"), OUT_INVALID},
    {"big but real", F("[9223372036854775808.0,1e19,12345678901234567890e0]"), OUT_TREE},
    {"reals", F("[1.5,-2.25,1.5e10,2E+2,3e-2,0.1,1758204001.2,123.456e-7]"), OUT_TREE},
    {"near DBL_MAX", F("[1.7976931348623157e308,-1.7976931348623157e308,1.7e308]"), OUT_TREE},
    {"just past DBL_MAX", F("1.7976931348623159e308"), OUT_INVALID},
    {"1e309", F("1e309"), OUT_INVALID},
    {"-1e309", F("-1e309"), OUT_INVALID},
    {"real overflow by digits", F("[12345e305]"), OUT_INVALID},
    {"underflow is fine", F("[1e-400,-2.5E-400,4.9e-324,2.2250738585072011e-308]"), OUT_TREE},
    {"huge zero", F("0.0000e99999999999999999999"), OUT_TREE},
    {"huge exponent", F("1e99999999999999999999"), OUT_INVALID},
    {"long mantissa", F("3.14159265358979323846264338327950288419716939937510582097494459"),
     OUT_TREE},
    {"leading zero", F("01"), OUT_INVALID},
    {"negative leading zero", F("-01"), OUT_INVALID},
    {"bare minus", F("[-]"), OUT_INVALID},
    {"minus then letter", F("-a"), OUT_INVALID},
    {"dot without digits", F("1."), OUT_INVALID},
    {"dot then exponent", F("1.e5"), OUT_INVALID},
    {"leading dot", F(".5"), OUT_INVALID},
    {"exponent without digits", F("1e+"), OUT_INVALID},
    {"exponent sign twice", F("1e+-1"), OUT_INVALID},
    {"plus sign", F("+1"), OUT_INVALID},
    {"two dots", F("1.5.2"), OUT_INVALID},
    {"hex", F("0x10"), OUT_INVALID},
    {"infinity", F("Infinity"), OUT_INVALID},
    {"nan", F("NaN"), OUT_INVALID},
    {"number then letter", F("[1a]"), OUT_INVALID},

    /* Strings. */
    {"all short escapes", F("\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\te\""), OUT_TREE},
    {"unicode escapes", F("[\"\\u0041\\u00e9\\u00E9\\u07ff\\u0800\\uffff\\u001f\\u007f\"]"),
     OUT_TREE},
    {"surrogate pair", F("\"\\ud83d\\ude00 \\uD800\\uDC00 \\udbff\\udfff\""), OUT_TREE},
    {"escapes in a key", F("{\"k\\u00e9y\\n\":1,\"\\ud83d\\ude00\":2}"), OUT_TREE},
    {"raw UTF-8", F("\"\xc3\xa9v\xc3\xa9nement \xe2\x82\xac \xf0\x9f\x98\x80 \xef\xbf\xbf\""),
     OUT_TREE},
    {"DEL is allowed", F("\"\x7f\""), OUT_TREE},
    {"empty string", F("[\"\",\"\"]"), OUT_TREE},
    {"\\u0000 in a value", F("{\"x\":\"a\\u0000\"}"), OUT_INVALID},
    {"\\u0000 in a key", F("{\"\\u0000\":1}"), OUT_INVALID},
    {"\\u0000 alone", F("\"\\u0000\""), OUT_INVALID},
    {"lone high surrogate", F("\"\\ud800\""), OUT_INVALID},
    {"lone high surrogate then text", F("\"\\ud800abc\""), OUT_INVALID},
    {"lone low surrogate", F("\"\\udc00\""), OUT_INVALID},
    {"high then not low", F("\"\\ud800\\u0041\""), OUT_INVALID},
    {"high then high", F("\"\\ud800\\ud800\""), OUT_INVALID},
    {"high then \\n", F("\"\\ud800\\n\""), OUT_INVALID},
    {"high then bad hex", F("\"\\ud800\\uzzzz\""), OUT_INVALID},
    {"reversed pair", F("\"\\ude00\\ud83d\""), OUT_INVALID},
    {"short \\u", F("\"\\u12\""), OUT_INVALID},
    {"\\u at the end", F("\"\\u12"), OUT_INVALID},
    {"bad hex", F("\"\\u12g4\""), OUT_INVALID},
    {"bad escape", F("\"\\x41\""), OUT_INVALID},
    {"capital \\U", F("\"\\U0041\""), OUT_INVALID},
    {"escaped NUL byte", F("\"\\\0\""), OUT_INVALID},
    {"backslash at the end", F("\"\\"), OUT_INVALID},
    {"unterminated", F("\"abc"), OUT_INVALID},
    {"raw tab", F("\"a\tb\""), OUT_INVALID},
    {"raw newline in a key", F("{\"a\nb\":1}"), OUT_INVALID},
    {"raw 0x1f", F("\"\x1f\""), OUT_INVALID},
    {"NUL in a string", F("\"agent\0started\""), OUT_INVALID},
    {"NUL in a key", F("{\"a\0\":1}"), OUT_INVALID},
    {"invalid byte", F("\"\xff\""), OUT_INVALID},
    {"continuation byte", F("\"\x80\""), OUT_INVALID},
    {"overlong NUL", F("\"\xc0\x80\""), OUT_INVALID},
    {"overlong 2-byte", F("\"\xc1\xbf\""), OUT_INVALID},
    {"overlong 3-byte", F("\"\xe0\x80\xaf\""), OUT_INVALID},
    {"overlong 4-byte", F("\"\xf0\x8f\xbf\xbf\""), OUT_INVALID},
    {"encoded surrogate", F("\"\xed\xa0\x80\""), OUT_INVALID},
    {"past U+10FFFF", F("\"\xf4\x90\x80\x80\""), OUT_INVALID},
    {"0xf5 lead", F("\"\xf5\x80\x80\x80\""), OUT_INVALID},
    {"truncated sequence", F("\"\xe2\x82\""), OUT_INVALID},
    {"sequence cut by the end", F("\"\xe2\x82"), OUT_INVALID},
    {"UTF-8 outside a string", F("[\xc3\xa9]"), OUT_INVALID},

    /* Literals. */
    {"literals", F("[true,false,null]"), OUT_TREE},
    {"short literal", F("tru"), OUT_INVALID},
    {"long literal", F("nulls"), OUT_INVALID},
    {"capital literal", F("True"), OUT_INVALID},
    {"literal then digit", F("[true1]"), OUT_INVALID},

    /* Structure. */
    {"empty", F(""), OUT_INVALID},
    {"only whitespace", F(" \n\r\t"), OUT_INVALID},
    {"BOM", F("\xef\xbb\xbf{}"), OUT_INVALID},
    {"lone brace", F("{"), OUT_INVALID},
    {"lone closer", F("}"), OUT_INVALID},
    {"cut after a colon", F("{\"a\":"), OUT_INVALID},
    {"cut after a key", F("{\"a\""), OUT_INVALID},
    {"cut after a comma", F("[1,"), OUT_INVALID},
    {"trailing comma", F("{\"a\":1,}"), OUT_INVALID},
    {"trailing comma in an array", F("[1,]"), OUT_INVALID},
    {"leading comma", F("[,1]"), OUT_INVALID},
    {"missing colon", F("{\"a\" 1}"), OUT_INVALID},
    {"double colon", F("{\"a\"::1}"), OUT_INVALID},
    {"missing comma", F("{\"a\":1 \"b\":2}"), OUT_INVALID},
    {"missing value", F("{\"a\":}"), OUT_INVALID},
    {"non-string key", F("{1:2}"), OUT_INVALID},
    {"single-quoted", F("{'a':1}"), OUT_INVALID},
    {"mismatched closer", F("[1}"), OUT_INVALID},
    {"mismatched closer in object", F("{\"a\":1]"), OUT_INVALID},
    {"extra closer", F("{}}"), OUT_INVALID},
    {"trailing garbage", F("{} x"), OUT_INVALID},
    {"two values", F("1 2"), OUT_INVALID},
    {"two objects", F("{}{}"), OUT_INVALID},
    {"form feed is not whitespace", F("{}\f"), OUT_INVALID},
    {"vertical tab is not whitespace", F("\v1"), OUT_INVALID},
    {"comment", F("{}//"), OUT_INVALID},

    /* A NUL outside a string: jansson 2.14 drops one after a number or a literal. */
    {"NUL after a number", F("{\"x\":1\0}"), OUT_FALLBACK},
    {"NUL after a literal", F("[true\0]"), OUT_FALLBACK},
    {"NUL after the value", F("{}\0"), OUT_FALLBACK},
    {"NUL before a key", F("{\0\"a\":1}"), OUT_FALLBACK},
    {"NUL first", F("\0{}"), OUT_FALLBACK},
};

static void test_json_fast_table(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof fast_cases / sizeof fast_cases[0]; i++) {
        const struct fast_case *c = &fast_cases[i];

        print_message("case: %s\n", c->name);
        assert_int_equal(check_fast(c->text, c->len, NULL, NULL), c->expect);
    }
}

/* Exact values, independent of jansson, where a slip would hide behind equal-looking trees. */
static void test_json_fast_values(void **state)
{
    static const char text[] = "{\"i\":-0,\"r\":-0.0,\"big\":-9223372036854775808,\"e\":1E2,"
                               "\"s\":\"\\ud83d\\ude00\\u00e9\\t\",\"k\":1,\"k\":2,\"z\":[]}";
    json_t *root, *v;
    void *it;
    int fb = -1;

    (void)state;
    assert_int_equal(check_fast(text, sizeof text - 1, NULL, &root), OUT_TREE);
    assert_true(json_is_integer(json_object_get(root, "i")));
    assert_int_equal(json_integer_value(json_object_get(root, "i")), 0);
    v = json_object_get(root, "r");
    assert_true(json_is_real(v) && json_real_value(v) == 0.0 && signbit(json_real_value(v)));
    assert_true(json_integer_value(json_object_get(root, "big")) == INT64_MIN);
    assert_true(json_is_real(json_object_get(root, "e")));
    v = json_object_get(root, "s");
    assert_int_equal(json_string_length(v), 4 + 2 + 1);
    assert_memory_equal(json_string_value(v), "\xf0\x9f\x98\x80\xc3\xa9\t", 7);
    /* The repeated key kept its first position and took its last value. */
    it = json_object_iter(root);
    assert_string_equal(json_object_iter_key(it), "i");
    for (; it && strcmp(json_object_iter_key(it), "k") != 0; it = json_object_iter_next(root, it))
        ;
    assert_non_null(it);
    assert_int_equal(json_integer_value(json_object_iter_value(it)), 2);
    assert_string_equal(json_object_iter_key(json_object_iter_next(root, it)), "z");
    json_decref(root);

    assert_null(gp_json_load_fast(NULL, 0, &fb));
    assert_int_equal(fb, 0);
    assert_null(json_loadb(NULL, 0, JSON_DECODE_ANY, NULL));
    /* A NULL fallback is allowed. */
    root = gp_json_load_fast("[1]", 3, NULL);
    assert_non_null(root);
    json_decref(root);
    assert_null(gp_json_load_fast("[1", 2, NULL));
}

/* gp_event_parse still reports jansson's own error text for invalid frames. */
static void test_json_fast_event_errors(void **state)
{
    static const char *const bad[] = {"{\"type\": oops}", "", "{\"type\":\"x\",}",
                                      "{\"type\":\"\\ud800\"}", "[1e309]"};
    gp_profile p;
    size_t i;

    (void)state;
    gp_profile_init_default(&p);
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_error_t jerr;
        gp_event ev;
        gp_err err = {0};
        char want[512];

        assert_null(json_loadb(bad[i], strlen(bad[i]), JSON_DECODE_ANY, &jerr));
        snprintf(want, sizeof want, "invalid JSON at %d:%d: %s", jerr.line, jerr.column, jerr.text);
        assert_int_equal(gp_event_parse(bad[i], strlen(bad[i]), &p, &ev, &err), -1);
        assert_string_equal(err.msg, want);
    }
    gp_profile_cleanup(&p);
}

static void test_json_fast_fixture_frames(void **state)
{
    struct corpus c = {0};
    struct tally t = {{0}};
    size_t i;

    (void)state;
    corpus_add_fixtures(&c);
    assert_true(c.n >= 200);
    for (i = 0; i < c.n; i++) {
        /* Recorded frames hold no NUL and no deep nesting: the loader must answer itself. */
        if (check_fast(c.text[i], c.len[i], &t, NULL) == OUT_FALLBACK) {
            dump_text("text", c.text[i], c.len[i]);
            fail_msg("the fast loader gave up on a recorded frame");
        }
    }
    print_message("%zu fixture frames: tree %zu, invalid %zu, fallback %zu\n", c.n, t.n[2], t.n[1],
                  t.n[0]);
    assert_true(t.n[2] > c.n / 2);
    corpus_free(&c);
}

/* Nesting past the loader's stack goes to jansson (which refuses past 2048); long strings and
 * keys, escaped or not, decode through the heap. */
static void test_json_fast_depth_and_size(void **state)
{
    size_t n = 3000, cap = 5 * n + 16, d;
    char *text = malloc(cap);

    (void)state;
    assert_non_null(text);
    for (d = 1; d <= n; d = d < 140 ? d + 1 : d + 977) {
        size_t len = 0, k;
        int r;

        /* Alternate {"": and [ layers, so both kinds of container nest. */
        for (k = 0; k < d; k++) {
            if (k % 2) {
                text[len++] = '[';
            } else {
                memcpy(text + len, "{\"\":", 4);
                len += 4;
            }
        }
        text[len++] = '1';
        while (k-- > 0)
            text[len++] = k % 2 ? ']' : '}';
        r = check_fast(text, len, NULL, NULL);
        assert_int_equal(r, d <= 128 ? OUT_TREE : OUT_FALLBACK);
    }
    free(text);

    {
        size_t big = 1024 * 1024, len = 0, i;
        char *f = malloc(2 * big + 4096);

        assert_non_null(f);
        /* A long plain value, a long escaped key, a long escaped value. */
        len += (size_t)sprintf(f, "{\"padding\":\"");
        memset(f + len, 'x', big);
        len += big;
        memcpy(f + len, "\",\"", 3);
        len += 3;
        for (i = 0; i < 300; i++) {
            memcpy(f + len, "\\u00e9", 6);
            len += 6;
        }
        memcpy(f + len, "\":\"", 3);
        len += 3;
        for (i = 0; i < big / 12; i++) {
            memcpy(f + len, "\\ud83d\\ude00", 12);
            len += 12;
        }
        memcpy(f + len, "\"}", 2);
        len += 2;
        assert_int_equal(check_fast(f, len, NULL, NULL), OUT_TREE);
        /* A number token too long for the loader's buffer. */
        len = 0;
        f[len++] = '1';
        f[len++] = '.';
        memset(f + len, '3', 300);
        len += 300;
        assert_int_equal(check_fast(f, len, NULL, NULL), OUT_FALLBACK);
        free(f);
    }
}

/* ---- randomized differential ---- */

/* Few keys, so that objects repeat them; some escaped spellings of the same key. */
static const char *const gen_keys[] = {
    "type",        "event", "thread_id",  "payload",    "data",          "run_id",
    "x",           "",      "typ\\u0065", "\\u0074ype", "pay\\u006coad", "\\u00e9t\\u00e9",
    "caf\xc3\xa9", "a\\nb",
};
static const char *const gen_strings[] = {
    "agent_started",
    "tool_completed",
    "",
    "thread-gp-user-17-3f2a",
    "t\\u0041",
    "a\\\"b\\\\c\\/d",
    "\\b\\f\\n\\r\\t",
    "\\ud83d\\ude00",
    "\\uD83D\\uDE00x",
    "\xf0\x9f\x98\x80",
    "\xe2\x82\xac\xc3\xa9",
    "\\u07ff\\u0800\\uffff",
    "\\u0000",
    "\\ud800",
    "\\udc00",
    "\x7f",
};
static const char *const gen_scalars[] = {
    "0",
    "-0",
    "17",
    "-1.5e3",
    "1758204001.2",
    "0.1",
    "-0.0",
    "1E+2",
    "9223372036854775807",
    "-9223372036854775808",
    "9223372036854775808",
    "-9223372036854775809",
    "12345678901234567890",
    "1.7976931348623157e308",
    "1e308",
    "1e309",
    "2.5E-400",
    "4.9e-324",
    "123456789012345678901234567890",
    "true",
    "false",
    "null",
};

static void gen_value(struct gen *g, int depth);

static void gen_object(struct gen *g, int depth)
{
    size_t i, n = rnd(g->seed, 6);

    put(g, "{");
    for (i = 0; i < n; i++) {
        if (i)
            put(g, ",");
        put_ws(g);
        put(g, "\"");
        put(g, gen_keys[rnd(g->seed, sizeof gen_keys / sizeof gen_keys[0])]);
        put(g, "\"");
        put_ws(g);
        put(g, ":");
        put_ws(g);
        gen_value(g, depth + 1);
        put_ws(g);
    }
    put(g, "}");
}

static void gen_value(struct gen *g, int depth)
{
    size_t k = rnd(g->seed, 10);

    if (k < 4) {
        put(g, "\"");
        put(g, gen_strings[rnd(g->seed, sizeof gen_strings / sizeof gen_strings[0])]);
        put(g, "\"");
    } else if (k < 7) {
        put(g, gen_scalars[rnd(g->seed, sizeof gen_scalars / sizeof gen_scalars[0])]);
    } else if (k < 9 && depth < 6) {
        gen_object(g, depth);
    } else if (depth < 6) {
        size_t i, n = rnd(g->seed, 4);

        put(g, "[");
        for (i = 0; i < n; i++) {
            if (i)
                put(g, ",");
            put_ws(g);
            gen_value(g, depth + 1);
        }
        put(g, "]");
    } else {
        put(g, "null");
    }
}

/* Usually an object, sometimes any value, as JSON_DECODE_ANY takes. */
static void gen_text(struct gen *g)
{
    g->len = 0;
    put_ws(g);
    if (rnd(g->seed, 5))
        gen_object(g, 0);
    else
        gen_value(g, 0);
    put_ws(g);
}

/* Reals on the fast path (a significand under 2^53, a power of ten up to 10^22) and just past
 * it are the very double jansson's strtod gives, sign and zero included. */
static void test_json_fast_reals_exact(void **state)
{
    static const char *const fixed[] = {"1796277015.506",
                                        "-0.0",
                                        "0.0",
                                        "0e0",
                                        "-0e-5",
                                        "9007199254740992.0",
                                        "9007199254740993.0",
                                        "1e22",
                                        "1e23",
                                        "1.5e-22",
                                        "1.5e-23",
                                        "123456789012345678.9",
                                        "0.1",
                                        "0.3",
                                        "2.2250738585072014e-308",
                                        "4.9e-324",
                                        "1.7976931348623157e308",
                                        "12345678901234567890.0",
                                        "1E+2",
                                        "1e-0",
                                        "100e-2"};
    uint64_t x = 0x9e3779b97f4a7c15ull;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof fixed / sizeof fixed[0] + 20000; i++) {
        char text[64];
        json_t *a, *b;
        int fb = 0;
        double da, db;

        if (i < sizeof fixed / sizeof fixed[0]) {
            snprintf(text, sizeof text, "%s", fixed[i]);
        } else {
            uint64_t r;
            int nd, pos, k, n = 0;

            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            r = x;
            nd = 1 + (int)(r % 19);
            pos = (int)((r >> 8) % (uint64_t)(nd + 1));
            if (r >> 16 & 1)
                text[n++] = '-';
            for (k = 0; k < nd; k++) {
                if (k == pos && k)
                    text[n++] = '.';
                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                text[n++] = (char)('0' + (k == 0 && nd > 1 && pos != 1 ? 1 + x % 9 : x % 10));
            }
            if (pos == 0 || pos == nd)
                n += snprintf(text + n, sizeof text - (size_t)n, ".5");
            if (r >> 17 & 1)
                n += snprintf(text + n, sizeof text - (size_t)n, "e%d", (int)((r >> 20) % 61) - 30);
            text[n] = '\0';
        }
        a = gp_json_load_fast(text, strlen(text), &fb);
        b = json_loadb(text, strlen(text), JSON_DECODE_ANY, NULL);
        if (!b) {
            assert_null(a);
            continue;
        }
        assert_non_null(a);
        assert_true(json_is_real(a) && json_is_real(b));
        da = json_real_value(a);
        db = json_real_value(b);
        assert_memory_equal(&da, &db, sizeof da);
        json_decref(a);
        json_decref(b);
    }
}

static void test_json_fast_differential(void **state)
{
    struct corpus c = {0};
    struct tally t = {{0}};
    uint64_t seed = 0x243f6a8885a308d3ull;
    struct gen g;
    char buf[4096 + 64];
    size_t i, iters = 40000;

    (void)state;
    /* The seed and count are fixed; these variables explore further by hand. */
    if (getenv("GP_FAST_SEED"))
        seed = strtoull(getenv("GP_FAST_SEED"), NULL, 0) | 1;
    if (getenv("GP_FAST_ITERS"))
        iters = strtoull(getenv("GP_FAST_ITERS"), NULL, 0);
    g.seed = &seed;
    corpus_add_fixtures(&c);
    for (i = 0; i < sizeof fast_cases / sizeof fast_cases[0]; i++)
        corpus_add(&c, fast_cases[i].text, fast_cases[i].len);
    for (i = 0; i < iters; i++) {
        size_t len;

        /* Half generated texts (duplicates, escapes, edge numbers), half recorded or hostile
         * ones; half of the first and three in four of the others are mutated. */
        if (i % 2) {
            gen_text(&g);
            len = g.len;
            memcpy(buf, g.buf, len);
        } else {
            size_t k = rnd(&seed, c.n);

            len = c.len[k] < sizeof buf - 64 ? c.len[k] : sizeof buf - 64;
            memcpy(buf, c.text[k], len);
        }
        if (rnd(&seed, 4) > i % 2)
            mutate(&seed, buf, &len, sizeof buf, FAST_INTERESTING);
        check_fast(buf, len, &t, NULL);
    }
    print_message("%zu texts: tree %zu, invalid %zu, fallback %zu\n", iters, t.n[2], t.n[1],
                  t.n[0]);
    /* Each answer must be well exercised, or the test proves little. */
    assert_true(t.n[2] > iters / 4);
    assert_true(t.n[1] > iters / 4);
    assert_true(t.n[0] > iters / 1000);
    corpus_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_fast_table),
        cmocka_unit_test(test_json_fast_values),
        cmocka_unit_test(test_json_fast_event_errors),
        cmocka_unit_test(test_json_fast_fixture_frames),
        cmocka_unit_test(test_json_fast_depth_and_size),
        cmocka_unit_test(test_json_fast_differential),
        cmocka_unit_test(test_json_fast_reals_exact),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
