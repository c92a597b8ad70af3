/* places/search_rank.c -- folding, tokens and the text score of a search.
 *
 * Pure functions (no I/O, no allocation), shared by both backends so that
 * they rank identically; see search.h for the scoring rule. Folding lowers
 * ASCII, strips the accents of Latin-1 Supplement and Latin Extended-A
 * (U+00C0..U+017F; æ, œ, ß, þ and ĳ become two letters) and turns ASCII
 * punctuation and spaces into single spaces; other non-ASCII bytes are kept
 * as letters.
 */
#include "places/search.h"

#include <string.h>

/* U+00C0..U+017F -> base letters; '|' separates entries, ' ' = not a letter. */
static const char *const latin[] = {
    /* C0 */ "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
    /* D0 */ "d", "n", "o", "o", "o", "o", "o", " ", "o", "u", "u", "u", "u", "y", "th", "ss",
    /* E0 */ "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
    /* F0 */ "d", "n", "o", "o", "o", "o", "o", " ", "o", "u", "u", "u", "u", "y", "th", "y",
};

static const struct {
    unsigned first, last;
    const char *to;
} ext_a[] = {
    {0x100, 0x105, "a"}, {0x106, 0x10D, "c"}, {0x10E, 0x111, "d"}, {0x112, 0x11B, "e"},
    {0x11C, 0x123, "g"}, {0x124, 0x127, "h"}, {0x128, 0x131, "i"}, {0x132, 0x133, "ij"},
    {0x134, 0x135, "j"}, {0x136, 0x138, "k"}, {0x139, 0x142, "l"}, {0x143, 0x14B, "n"},
    {0x14C, 0x151, "o"}, {0x152, 0x153, "oe"}, {0x154, 0x159, "r"}, {0x15A, 0x161, "s"},
    {0x162, 0x167, "t"}, {0x168, 0x173, "u"}, {0x174, 0x175, "w"}, {0x176, 0x178, "y"},
    {0x179, 0x17E, "z"}, {0x17F, 0x17F, "s"},
};

static const char *fold_cp(unsigned cp)
{
    if (cp >= 0xC0 && cp <= 0xFF)
        return latin[cp - 0xC0];
    for (size_t i = 0; i < sizeof ext_a / sizeof ext_a[0]; i++)
        if (cp >= ext_a[i].first && cp <= ext_a[i].last)
            return ext_a[i].to;
    return NULL;
}

void places_search_fold(const char *s, char *out, size_t cap)
{
    size_t n = 0;
    bool space = true; /* collapse runs; no leading space */
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p && n + 3 < cap;) {
        const char *rep = NULL;
        char one[2] = {0, 0};
        size_t adv = 1;
        if (*p < 0x80) {
            unsigned char ch = *p;
            if ((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z'))
                one[0] = (char)ch;
            else if (ch >= 'A' && ch <= 'Z')
                one[0] = (char)(ch + 32);
            else
                one[0] = ' ';
            rep = one;
        } else if ((p[0] == 0xC3 || p[0] == 0xC4 || p[0] == 0xC5) && (p[1] & 0xC0) == 0x80) {
            unsigned cp = ((unsigned)(p[0] & 0x1F) << 6) | (p[1] & 0x3F);
            rep = fold_cp(cp);
            adv = 2;
            if (!rep) {
                one[0] = (char)p[0];
                rep = one;
                adv = 1;
            }
        } else {
            one[0] = (char)*p; /* other UTF-8 bytes: kept as letters */
            rep = one;
        }
        p += adv;
        if (rep[0] == ' ') {
            if (!space)
                out[n++] = ' ';
            space = true;
            continue;
        }
        for (const char *r = rep; *r && n + 1 < cap; r++)
            out[n++] = *r;
        space = false;
    }
    while (n && out[n - 1] == ' ')
        n--;
    out[n] = '\0';
}

size_t places_search_tokens(const char *q, char tok[][PLACES_SEARCH_MAX_TOKEN + 1])
{
    char folded[1024];
    places_search_fold(q, folded, sizeof folded);
    size_t n = 0;
    for (char *p = folded; *p && n < PLACES_SEARCH_MAX_TOKENS;) {
        size_t len = strcspn(p, " ");
        if (len > PLACES_SEARCH_MAX_TOKEN)
            len = PLACES_SEARCH_MAX_TOKEN;
        memcpy(tok[n], p, len);
        tok[n][len] = '\0';
        n++;
        p += strcspn(p, " ");
        while (*p == ' ')
            p++;
    }
    return n;
}

/* 2 for an exact word of `text`, 1 for a word prefix, 0 otherwise
 * (text is folded: words separated by single spaces). */
static int word_match(const char *text, const char *t)
{
    size_t tl = strlen(t);
    int best = 0;
    for (const char *w = text; *w;) {
        size_t wl = strcspn(w, " ");
        if (wl >= tl && strncmp(w, t, tl) == 0)
            best = wl == tl ? 2 : (best > 1 ? best : 1);
        w += wl;
        while (*w == ' ')
            w++;
    }
    return best;
}

double places_search_score(char tok[][PLACES_SEARCH_MAX_TOKEN + 1], size_t ntok,
                           const char *name, const char *search_text)
{
    if (ntok == 0)
        return 0;
    char fname[512], fall[2048];
    places_search_fold(name, fname, sizeof fname);
    places_search_fold(search_text, fall, sizeof fall);
    double sum = 0;
    char query[PLACES_SEARCH_MAX_TOKENS * (PLACES_SEARCH_MAX_TOKEN + 1) + 1] = "";
    for (size_t i = 0; i < ntok; i++) {
        int in_name = word_match(fname, tok[i]);
        int in_all = in_name ? 0 : word_match(fall, tok[i]);
        sum += in_name == 2 ? 3.0 : in_name == 1 ? 2.0 : in_all == 2 ? 1.5 : in_all ? 1.0 : 0.5;
        if (i)
            strcat(query, " ");
        strcat(query, tok[i]);
    }
    double score = sum / (double)ntok;
    size_t ql = strlen(query);
    if (strcmp(fname, query) == 0)
        score += 3.0;
    else if (strncmp(fname, query, ql) == 0)
        score += 1.0;
    return score;
}
