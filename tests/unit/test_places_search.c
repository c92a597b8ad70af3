/* tests/unit/test_places_search.c -- folding, tokens and the text score
 * that both backends share for /v1/places/search (places/search_rank.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "places/search.h"

static void test_fold(void **state)
{
    (void)state;
    char out[128];
    places_search_fold("Musée Océanographique", out, sizeof out);
    assert_string_equal(out, "musee oceanographique");
    places_search_fold("  Straße --  Œuvre/ÆBC  ", out, sizeof out);
    assert_string_equal(out, "strasse oeuvre aebc");
    places_search_fold("Łódź Čapek", out, sizeof out);
    assert_string_equal(out, "lodz capek");
    places_search_fold("Москва", out, sizeof out); /* kept as letters */
    assert_string_equal(out, "Москва");
    places_search_fold(NULL, out, sizeof out);
    assert_string_equal(out, "");
    char small[6];
    places_search_fold("abcdefghij", small, sizeof small);
    assert_true(strlen(small) < sizeof small);
}

static void test_tokens(void **state)
{
    (void)state;
    char tok[PLACES_SEARCH_MAX_TOKENS][PLACES_SEARCH_MAX_TOKEN + 1];
    assert_int_equal(places_search_tokens("\"Café\" de*PARIS' OR 1=1", tok), 6);
    assert_string_equal(tok[0], "cafe");
    assert_string_equal(tok[1], "de");
    assert_string_equal(tok[2], "paris");
    assert_string_equal(tok[3], "or");
    assert_int_equal(places_search_tokens("!!! ***", tok), 0);
    assert_int_equal(places_search_tokens("a b c d e f g h i j", tok), PLACES_SEARCH_MAX_TOKENS);
}

static void test_score_order(void **state)
{
    (void)state;
    char tok[PLACES_SEARCH_MAX_TOKENS][PLACES_SEARCH_MAX_TOKEN + 1];
    size_t n = places_search_tokens("océan", tok);
    double exact_name = places_search_score(tok, n, "Ocean", "Ocean");
    double first_word = places_search_score(tok, n, "Ocean Club", "Ocean Club");
    double later_word = places_search_score(tok, n, "Club Ocean", "Club Ocean");
    double prefix = places_search_score(tok, n, "Le Oceanographique", "Le Oceanographique");
    double translation = places_search_score(tok, n, "Musée", "Musée Ocean");
    double trans_prefix = places_search_score(tok, n, "Musée", "Musée Oceanographic");
    double none = places_search_score(tok, n, "Zoo", "Zoo");
    assert_true(exact_name > first_word);
    assert_true(first_word > later_word);
    assert_true(later_word > prefix);
    assert_true(prefix > translation);
    assert_true(translation > trans_prefix);
    assert_true(trans_prefix > none);
    assert_true(none == 0.5); /* the database matched on its own tokenizer */
    assert_true(places_search_score(tok, 0, "Zoo", "Zoo") == 0);
    /* every token counts: a name matching both beats one matching one */
    n = places_search_tokens("cafe paris", tok);
    assert_true(places_search_score(tok, n, "Café de Paris", "Café de Paris") >
                places_search_score(tok, n, "Café Riviera", "Café Riviera Paris"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fold),
        cmocka_unit_test(test_tokens),
        cmocka_unit_test(test_score_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
