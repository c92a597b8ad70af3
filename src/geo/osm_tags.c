/* geo/osm_tags.c -- OSM tag rules: place categories, maxspeed, way access.
 *
 * Pure functions over key/value arrays, used by osm.c while streaming and
 * exposed in osm.h so that the rules can be tested on their own. All tables
 * are const; nothing here allocates.
 */
#include "geo/osm.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- Category tree --------------------------------------------------------- */

#define GEO_OSM_CATEGORIES(X)                                                  \
    X(museum, sights) X(gallery, sights) X(viewpoint, sights)                  \
    X(attraction, sights) X(artwork, sights) X(zoo, sights) X(aquarium, sights) \
    X(theme_park, sights) X(monument, sights) X(memorial, sights)              \
    X(castle, sights) X(ruins, sights) X(archaeological_site, sights)          \
    X(historic, sights) X(place_of_worship, sights) X(fountain, sights)        \
    X(restaurant, food) X(cafe, food) X(bar, food) X(pub, food)                \
    X(fast_food, food) X(ice_cream, food) X(food_court, food)                  \
    X(hotel, lodging) X(hostel, lodging) X(guest_house, lodging)               \
    X(motel, lodging) X(apartment, lodging) X(camp_site, lodging)              \
    X(chalet, lodging) X(alpine_hut, lodging)                                  \
    X(hospital, health) X(clinic, health) X(doctors, health)                   \
    X(dentist, health) X(pharmacy, health)                                     \
    X(police, safety) X(fire_station, safety) X(embassy, safety)               \
    X(atm, money) X(bank, money) X(bureau_de_change, money)                    \
    X(toilets, services) X(drinking_water, services) X(post_office, services)  \
    X(tourist_information, services) X(library, services)                      \
    X(park, nature) X(garden, nature) X(beach, nature)                         \
    X(nature_reserve, nature) X(peak, nature) X(cave_entrance, nature)         \
    X(picnic_site, nature)                                                     \
    X(playground, leisure) X(sports_centre, leisure) X(stadium, leisure)       \
    X(marina, leisure) X(water_park, leisure) X(fitness_centre, leisure)       \
    X(swimming_pool, leisure)                                                  \
    X(theatre, entertainment) X(cinema, entertainment)                         \
    X(nightclub, entertainment) X(casino, entertainment)                       \
    X(arts_centre, entertainment)                                              \
    X(supermarket, shopping) X(convenience, shopping) X(bakery, shopping)      \
    X(mall, shopping) X(department_store, shopping) X(marketplace, shopping)   \
    X(shop, shopping)                                                          \
    X(bus_stop, transport) X(bus_station, transport) X(station, transport)     \
    X(tram_stop, transport) X(subway_entrance, transport)                      \
    X(ferry_terminal, transport) X(airport, transport) X(heliport, transport)  \
    X(parking, transport) X(bicycle_rental, transport)                         \
    X(car_rental, transport) X(taxi, transport) X(fuel, transport)             \
    X(charging_station, transport)

enum {
#define CAT_ENUM(name, parent) CAT_##name,
    GEO_OSM_CATEGORIES(CAT_ENUM)
#undef CAT_ENUM
    CAT_COUNT
};

static const geo_osm_category_t categories[CAT_COUNT] = {
#define CAT_ROW(name, parent) {CAT_##name, #name, #parent},
    GEO_OSM_CATEGORIES(CAT_ROW)
#undef CAT_ROW
};

size_t geo_osm_category_count(void)
{
    return CAT_COUNT;
}

const geo_osm_category_t *geo_osm_category(size_t id)
{
    return id < CAT_COUNT ? &categories[id] : NULL;
}

int geo_osm_category_find(const char *name)
{
    for (int i = 0; name && i < CAT_COUNT; i++)
        if (strcmp(categories[i].name, name) == 0)
            return i;
    return -1;
}

/* ---- Classification ---------------------------------------------------------- */

enum { K_TOURISM, K_AMENITY, K_HISTORIC, K_LEISURE, K_NATURAL, K_SHOP, K_HIGHWAY,
       K_PUBLIC_TRANSPORT, K_RAILWAY, K_AEROWAY, K_OFFICE, K_INFORMATION, K_BUS, K_NAME,
       K_COUNT, K_NONE = K_COUNT };

static const char *const rule_keys[K_COUNT] = {
    "tourism", "amenity", "historic", "leisure", "natural", "shop", "highway",
    "public_transport", "railway", "aeroway", "office", "information", "bus", "name",
};

typedef struct rule {
    uint8_t key;
    const char *value;   /* NULL: any value */
    uint8_t cond_key;    /* K_NONE: no condition */
    const char *cond_value; /* NULL: any value (the key must be present) */
    uint16_t cat;
} rule_t;

#define R(k, v, c) {K_##k, v, K_NONE, NULL, CAT_##c}
#define RC(k, v, ck, cv, c) {K_##k, v, K_##ck, cv, CAT_##c}

/* First match wins, so specific rules come before wildcards. */
static const rule_t rules[] = {
    R(TOURISM, "museum", museum), R(TOURISM, "gallery", gallery),
    R(TOURISM, "viewpoint", viewpoint), R(TOURISM, "attraction", attraction),
    R(TOURISM, "artwork", artwork), R(TOURISM, "zoo", zoo), R(TOURISM, "aquarium", aquarium),
    R(TOURISM, "theme_park", theme_park), R(TOURISM, "hotel", hotel),
    R(TOURISM, "hostel", hostel), R(TOURISM, "guest_house", guest_house),
    R(TOURISM, "motel", motel), R(TOURISM, "apartment", apartment),
    R(TOURISM, "camp_site", camp_site), R(TOURISM, "caravan_site", camp_site),
    R(TOURISM, "chalet", chalet), R(TOURISM, "alpine_hut", alpine_hut),
    R(TOURISM, "picnic_site", picnic_site),
    RC(TOURISM, "information", INFORMATION, "office", tourist_information),
    RC(TOURISM, "information", INFORMATION, "visitor_centre", tourist_information),
    R(AMENITY, "restaurant", restaurant), R(AMENITY, "cafe", cafe), R(AMENITY, "bar", bar),
    R(AMENITY, "pub", pub), R(AMENITY, "biergarten", pub), R(AMENITY, "fast_food", fast_food),
    R(AMENITY, "ice_cream", ice_cream), R(AMENITY, "food_court", food_court),
    R(AMENITY, "hospital", hospital), R(AMENITY, "clinic", clinic),
    R(AMENITY, "doctors", doctors), R(AMENITY, "dentist", dentist),
    R(AMENITY, "pharmacy", pharmacy), R(AMENITY, "police", police),
    R(AMENITY, "fire_station", fire_station), R(AMENITY, "embassy", embassy),
    R(AMENITY, "atm", atm), R(AMENITY, "bank", bank),
    R(AMENITY, "bureau_de_change", bureau_de_change), R(AMENITY, "toilets", toilets),
    R(AMENITY, "drinking_water", drinking_water), R(AMENITY, "post_office", post_office),
    R(AMENITY, "library", library), R(AMENITY, "place_of_worship", place_of_worship),
    R(AMENITY, "fountain", fountain), R(AMENITY, "theatre", theatre),
    R(AMENITY, "cinema", cinema), R(AMENITY, "nightclub", nightclub),
    R(AMENITY, "casino", casino), R(AMENITY, "arts_centre", arts_centre),
    R(AMENITY, "marketplace", marketplace), R(AMENITY, "bus_station", bus_station),
    R(AMENITY, "ferry_terminal", ferry_terminal), R(AMENITY, "parking", parking),
    R(AMENITY, "bicycle_rental", bicycle_rental), R(AMENITY, "car_rental", car_rental),
    R(AMENITY, "taxi", taxi), R(AMENITY, "fuel", fuel),
    R(AMENITY, "charging_station", charging_station),
    R(HISTORIC, "monument", monument), R(HISTORIC, "memorial", memorial),
    R(HISTORIC, "castle", castle), R(HISTORIC, "fort", castle), R(HISTORIC, "ruins", ruins),
    R(HISTORIC, "archaeological_site", archaeological_site),
    R(LEISURE, "park", park), R(LEISURE, "garden", garden),
    R(LEISURE, "nature_reserve", nature_reserve), R(LEISURE, "beach_resort", beach),
    R(LEISURE, "playground", playground), R(LEISURE, "sports_centre", sports_centre),
    R(LEISURE, "stadium", stadium), R(LEISURE, "marina", marina),
    R(LEISURE, "water_park", water_park), R(LEISURE, "fitness_centre", fitness_centre),
    RC(LEISURE, "swimming_pool", NAME, NULL, swimming_pool),
    R(NATURAL, "beach", beach), R(NATURAL, "peak", peak), R(NATURAL, "volcano", peak),
    R(NATURAL, "cave_entrance", cave_entrance),
    R(HIGHWAY, "bus_stop", bus_stop),
    RC(PUBLIC_TRANSPORT, "platform", BUS, "yes", bus_stop),
    R(RAILWAY, "station", station), R(RAILWAY, "halt", station),
    R(PUBLIC_TRANSPORT, "station", station), R(RAILWAY, "tram_stop", tram_stop),
    R(RAILWAY, "subway_entrance", subway_entrance),
    R(AEROWAY, "aerodrome", airport), R(AEROWAY, "heliport", heliport),
    R(OFFICE, "diplomatic", embassy),
    R(SHOP, "supermarket", supermarket), R(SHOP, "convenience", convenience),
    R(SHOP, "bakery", bakery), R(SHOP, "mall", mall),
    R(SHOP, "department_store", department_store),
    R(SHOP, NULL, shop),
    RC(HISTORIC, NULL, NAME, NULL, historic),
};

#undef R
#undef RC

int geo_osm_classify(const geo_osm_tag_t *tags, size_t n)
{
    const char *val[K_COUNT + 1] = {NULL};
    bool any = false;
    for (size_t i = 0; tags && i < n; i++) {
        const char *k = tags[i].key;
        if (!k || !tags[i].value)
            continue;
        for (int j = 0; j < K_COUNT; j++)
            if (strcmp(k, rule_keys[j]) == 0) {
                val[j] = tags[i].value;
                any = any || j < K_INFORMATION;
                break;
            }
    }
    if (!any)
        return -1;
    for (size_t r = 0; r < sizeof rules / sizeof *rules; r++) {
        const rule_t *ru = &rules[r];
        const char *v = val[ru->key];
        if (!v || (ru->value && strcmp(v, ru->value) != 0))
            continue;
        if (ru->cond_key != K_NONE) {
            const char *c = val[ru->cond_key];
            if (!c || !*c || (ru->cond_value && strcmp(c, ru->cond_value) != 0))
                continue;
        }
        return ru->cat;
    }
    return -1;
}

/* ---- maxspeed ------------------------------------------------------------------ */

static const struct {
    const char *zone;
    double kmh;
} speed_zones[] = {
    {"FR:rural", 80},        {"DE:rural", 100},      {"AT:rural", 100},
    {"IT:rural", 90},        {"ES:rural", 90},       {"GB:nsl_single", 96.56},
    {"GB:nsl_dual", 112.65}, {"GB:motorway", 112.65}, {"FR:motorway", 130},
    {"IT:motorway", 130},    {"AT:motorway", 130},    {"ES:motorway", 120},
    {"DE:motorway", 0},
};

static int zone_speed(const char *s, size_t len, double *kmh)
{
    for (size_t i = 0; i < sizeof speed_zones / sizeof *speed_zones; i++)
        if (strlen(speed_zones[i].zone) == len && strncmp(s, speed_zones[i].zone, len) == 0) {
            *kmh = speed_zones[i].kmh;
            return GEO_OK;
        }
    const char *c = memchr(s, ':', len);
    if (!c)
        return GEO_EINVAL;
    size_t rest = len - (size_t)(c + 1 - s);
    const char *z = c + 1;
    static const struct { const char *name; double kmh; } generic[] = {
        {"urban", 50}, {"rural", 90}, {"trunk", 100}, {"motorway", 120},
        {"living_street", 20}, {"walk", 6}, {"bicycle_road", 30}, {"school", 30},
    };
    for (size_t i = 0; i < sizeof generic / sizeof *generic; i++)
        if (strlen(generic[i].name) == rest && strncmp(z, generic[i].name, rest) == 0) {
            *kmh = generic[i].kmh;
            return GEO_OK;
        }
    if (rest > 4 && strncmp(z, "zone", 4) == 0) { /* zone30, zone:30 */
        size_t j = 4 + (z[4] == ':');
        char *end;
        double v = strtod(z + j, &end);
        if (end == z + rest && end != z + j && v > 0 && v <= 200) {
            *kmh = v;
            return GEO_OK;
        }
    }
    return GEO_EINVAL;
}

/* One maxspeed value (no ';'), len bytes of s. */
static int maxspeed_one(const char *s, size_t len, double *kmh)
{
    while (len && isspace((unsigned char)*s))
        s++, len--;
    while (len && isspace((unsigned char)s[len - 1]))
        len--;
    if (len == 0 || len > 40)
        return GEO_EINVAL;
    if (len == 4 && strncmp(s, "none", 4) == 0) {
        *kmh = 0;
        return GEO_OK;
    }
    if (len == 4 && strncmp(s, "walk", 4) == 0) {
        *kmh = 6;
        return GEO_OK;
    }
    if (!isdigit((unsigned char)*s))
        return zone_speed(s, len, kmh);
    char buf[48];
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *end;
    double v = strtod(buf, &end);
    while (*end == ' ')
        end++;
    if (*end == '\0' || strcmp(end, "km/h") == 0 || strcmp(end, "kmh") == 0 ||
        strcmp(end, "kph") == 0)
        ;
    else if (strcmp(end, "mph") == 0)
        v *= 1.609344;
    else if (strcmp(end, "knots") == 0)
        v *= 1.852;
    else
        return GEO_EINVAL;
    if (!(v > 0 && v <= 400))
        return GEO_EINVAL;
    *kmh = v;
    return GEO_OK;
}

int geo_osm_parse_maxspeed(const char *s, double *kmh)
{
    if (!s || !kmh)
        return GEO_EINVAL;
    double best = -1;
    for (const char *p = s;;) {
        const char *semi = strchr(p, ';');
        size_t len = semi ? (size_t)(semi - p) : strlen(p);
        double v;
        if (maxspeed_one(p, len, &v) == GEO_OK && v > 0 && (best < 0 || v < best))
            best = v;
        else if (maxspeed_one(p, len, &v) == GEO_OK && v == 0 && best < 0)
            best = 0;
        if (!semi)
            break;
        p = semi + 1;
    }
    if (best < 0)
        return GEO_EINVAL;
    *kmh = best;
    return GEO_OK;
}

/* ---- Way access and speeds ------------------------------------------------------ */

/* Default km/h per highway class for foot, bicycle, car; 0 = not allowed. */
static const uint8_t hw_speed[GEO_HW_COUNT][GEO_PROFILE_COUNT] = {
    [GEO_HW_MOTORWAY] = {0, 0, 110},     [GEO_HW_TRUNK] = {5, 15, 90},
    [GEO_HW_PRIMARY] = {5, 16, 65},      [GEO_HW_SECONDARY] = {5, 16, 55},
    [GEO_HW_TERTIARY] = {5, 16, 45},     [GEO_HW_UNCLASSIFIED] = {5, 16, 35},
    [GEO_HW_RESIDENTIAL] = {5, 15, 30},  [GEO_HW_MOTORWAY_LINK] = {0, 0, 60},
    [GEO_HW_TRUNK_LINK] = {5, 15, 50},   [GEO_HW_PRIMARY_LINK] = {5, 15, 40},
    [GEO_HW_SECONDARY_LINK] = {5, 15, 35}, [GEO_HW_TERTIARY_LINK] = {5, 15, 30},
    [GEO_HW_LIVING_STREET] = {5, 10, 10}, [GEO_HW_SERVICE] = {5, 12, 15},
    [GEO_HW_ROAD] = {5, 12, 25},         [GEO_HW_TRACK] = {5, 12, 0},
    [GEO_HW_PEDESTRIAN] = {5, 6, 0},     [GEO_HW_FOOTWAY] = {5, 6, 0},
    [GEO_HW_PATH] = {5, 12, 0},          [GEO_HW_CYCLEWAY] = {5, 18, 0},
    [GEO_HW_BRIDLEWAY] = {5, 0, 0},      [GEO_HW_STEPS] = {3, 0, 0},
    [GEO_HW_CORRIDOR] = {5, 0, 0},       [GEO_HW_PLATFORM] = {5, 0, 0},
    [GEO_HW_ELEVATOR] = {2, 0, 0},
};

/* Speed when a tag explicitly allows a profile the class does not. */
static const uint8_t explicit_speed[GEO_PROFILE_COUNT] = {5, 14, 10};

static const char *tag_get(const geo_osm_tag_t *tags, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (tags[i].key && tags[i].value && strcmp(tags[i].key, key) == 0)
            return tags[i].value;
    return NULL;
}

static bool is_one_of(const char *v, const char *const *list)
{
    for (; v && *list; list++)
        if (strcmp(v, *list) == 0)
            return true;
    return false;
}

enum { ACC_UNKNOWN = -1, ACC_NO = 0, ACC_YES = 1, ACC_DISMOUNT = 2 };

static int access_value(const char *v)
{
    static const char *const yes[] = {"yes", "permissive", "designated", "destination",
                                      "delivery", "customers", "official", "permit",
                                      "discouraged", NULL};
    static const char *const no[] = {"no", "private", "agricultural", "forestry",
                                     "use_sidepath", "emergency", "military", NULL};
    if (is_one_of(v, yes))
        return ACC_YES;
    if (is_one_of(v, no))
        return ACC_NO;
    if (v && strcmp(v, "dismount") == 0)
        return ACC_DISMOUNT;
    return ACC_UNKNOWN;
}

/* Oneway direction from a value: 1 forward only, -1 backward only, 0 both,
 * 2 unknown/absent, 3 reversible (unusable by cars). */
static int oneway_value(const char *v)
{
    static const char *const fwd[] = {"yes", "true", "1", NULL};
    static const char *const bwd[] = {"-1", "reverse", NULL};
    static const char *const both[] = {"no", "false", "0", NULL};
    static const char *const rev[] = {"reversible", "alternating", NULL};
    if (is_one_of(v, fwd))
        return 1;
    if (is_one_of(v, bwd))
        return -1;
    if (is_one_of(v, both))
        return 0;
    if (is_one_of(v, rev))
        return 3;
    return 2;
}

static uint8_t profile_speed(const geo_osm_tag_t *t, size_t n, int hw, int p)
{
    static const char *const chain[GEO_PROFILE_COUNT][5] = {
        {"access", "foot", NULL},
        {"access", "vehicle", "bicycle", NULL},
        {"access", "vehicle", "motor_vehicle", "motorcar", NULL},
    };
    int acc = ACC_UNKNOWN;
    for (int i = 0; chain[p][i]; i++) {
        int a = access_value(tag_get(t, n, chain[p][i]));
        if (a != ACC_UNKNOWN)
            acc = a;
    }
    uint8_t base = hw_speed[hw][p];
    if (p != GEO_PROFILE_CAR && access_value(tag_get(t, n, "motorroad")) == ACC_YES)
        base = 0;
    switch (acc) {
    case ACC_NO: return 0;
    case ACC_YES: return base ? base : explicit_speed[p];
    case ACC_DISMOUNT: return p == GEO_PROFILE_BICYCLE ? 6 : base;
    default: return base;
    }
}

/* Direction rule for profile p: 1, -1 or 0 (see oneway_value), 3 = none. */
static int profile_oneway(const geo_osm_tag_t *t, size_t n, int hw, int p, bool roundabout)
{
    int ow = oneway_value(tag_get(t, n, "oneway"));
    if (ow == 2)
        ow = roundabout || hw == GEO_HW_MOTORWAY || hw == GEO_HW_MOTORWAY_LINK ? 1 : 0;
    if (p == GEO_PROFILE_FOOT) {
        int f = oneway_value(tag_get(t, n, "oneway:foot"));
        if (f != 2 && f != 3)
            return f;
        bool foot_way = hw == GEO_HW_FOOTWAY || hw == GEO_HW_PATH || hw == GEO_HW_STEPS ||
                        hw == GEO_HW_PEDESTRIAN || hw == GEO_HW_CORRIDOR;
        int explicit_ow = oneway_value(tag_get(t, n, "oneway"));
        return foot_way && (explicit_ow == 1 || explicit_ow == -1) ? explicit_ow : 0;
    }
    if (p == GEO_PROFILE_BICYCLE) {
        int b = oneway_value(tag_get(t, n, "oneway:bicycle"));
        if (b != 2 && b != 3)
            return b;
        static const char *const cw_keys[] = {"cycleway", "cycleway:left", "cycleway:right",
                                              "cycleway:both"};
        for (size_t i = 0; i < 4; i++) {
            const char *v = tag_get(t, n, cw_keys[i]);
            if (v && strncmp(v, "opposite", 8) == 0)
                return 0;
        }
        return ow == 3 ? 0 : ow;
    }
    return ow;
}

static uint8_t kmh_u8(double v)
{
    long r = lround(v);
    return (uint8_t)(r < 1 ? 1 : r > 255 ? 255 : r);
}

/* Applies maxspeed (and :forward/:backward) to car and bicycle speeds. */
static void apply_maxspeed(const geo_osm_tag_t *t, size_t n, uint8_t *sp, const char *dir_key)
{
    double v;
    const char *s = tag_get(t, n, dir_key);
    if (!s || geo_osm_parse_maxspeed(s, &v) != GEO_OK)
        s = tag_get(t, n, "maxspeed");
    if (!s || geo_osm_parse_maxspeed(s, &v) != GEO_OK || v <= 0)
        return;
    if (sp[GEO_PROFILE_CAR])
        sp[GEO_PROFILE_CAR] = kmh_u8(v > 130 ? 130 : v);
    if (sp[GEO_PROFILE_BICYCLE] > v)
        sp[GEO_PROFILE_BICYCLE] = kmh_u8(v);
}

bool geo_osm_way_access(const geo_osm_tag_t *tags, size_t n, geo_osm_way_access_t *out)
{
    if (!out)
        return false;
    memset(out, 0, sizeof *out);
    int hw = geo_highway_parse(tags ? tag_get(tags, n, "highway") : NULL);
    if (hw == GEO_HW_OTHER)
        return false;
    static const char *const rb[] = {"roundabout", "circular", NULL};
    out->highway = hw;
    out->roundabout = is_one_of(tag_get(tags, n, "junction"), rb);
    bool any = false;
    for (int p = 0; p < GEO_PROFILE_COUNT; p++) {
        uint8_t s = profile_speed(tags, n, hw, p);
        int ow = profile_oneway(tags, n, hw, p, out->roundabout);
        if (p == GEO_PROFILE_CAR && ow == 3)
            s = 0;
        out->fwd[p] = ow == -1 ? 0 : s;
        out->bwd[p] = ow == 1 ? 0 : s;
    }
    apply_maxspeed(tags, n, out->fwd, "maxspeed:forward");
    apply_maxspeed(tags, n, out->bwd, "maxspeed:backward");
    for (int p = 0; p < GEO_PROFILE_COUNT; p++)
        any = any || out->fwd[p] || out->bwd[p];
    return any;
}
