
/*
 * Copyright (C) sockerless contributors
 *
 * Container names as dockerd makes and checks them. nginx-free.
 */


#include <stdio.h>
#include <string.h>
#include <sls_id.h>


static const char  *sls_adjectives[] = {
    "admiring", "adoring", "affectionate", "agitated", "amazing", "angry",
    "awesome", "beautiful", "blissful", "bold", "boring", "brave", "busy",
    "charming", "clever", "compassionate", "competent", "condescending",
    "confident", "cool", "cranky", "crazy", "dazzling", "determined",
    "distracted", "dreamy", "eager", "ecstatic", "elastic", "elated",
    "elegant", "eloquent", "epic", "exciting", "fervent", "festive",
    "flamboyant", "focused", "friendly", "frosty", "funny", "gallant",
    "gifted", "goofy", "gracious", "great", "happy", "hardcore", "heuristic",
    "hopeful", "hungry", "infallible", "inspiring", "intelligent",
    "interesting", "jolly", "jovial", "keen", "kind", "laughing", "loving",
    "lucid", "magical", "modest", "musing", "mystifying", "naughty",
    "nervous", "nice", "nifty", "nostalgic", "objective", "optimistic",
    "peaceful", "pedantic", "pensive", "practical", "priceless", "quirky",
    "quizzical", "recursing", "relaxed", "reverent", "romantic", "sad",
    "serene", "sharp", "silly", "sleepy", "stoic", "strange", "stupefied",
    "suspicious", "sweet", "tender", "thirsty", "trusting", "unruffled",
    "upbeat", "vibrant", "vigilant", "vigorous", "wizardly", "wonderful",
    "xenodochial", "youthful", "zealous", "zen"
};


static const char  *sls_surnames[] = {
    "agnesi", "albattani", "allen", "almeida", "archimedes", "ardinghelli",
    "babbage", "banach", "bardeen", "bartik", "bell", "bhabha", "blackwell",
    "bohr", "booth", "borg", "bose", "brahmagupta", "brattain", "brown",
    "carson", "cartwright", "cerf", "chandrasekhar", "chatelet", "clarke",
    "colden", "cori", "curie", "darwin", "davinci", "dijkstra", "dirac",
    "driscoll", "dubinsky", "easley", "einstein", "elion", "engelbart",
    "euclid", "euler", "faraday", "fermat", "fermi", "feynman", "franklin",
    "galileo", "gauss", "goldberg", "goldwasser", "goodall", "hamilton",
    "hawking", "heisenberg", "hermann", "hodgkin", "hopper", "hypatia",
    "jackson", "jang", "jennings", "johnson", "kalam", "kepler", "knuth",
    "lamport", "leakey", "lovelace", "lumiere", "mayer", "mcclintock",
    "meitner", "mendel", "mirzakhani", "moore", "morse", "napier", "newton",
    "nobel", "noether", "pascal", "pasteur", "perlman", "pike", "poincare",
    "ptolemy", "raman", "ramanujan", "ride", "ritchie", "rubin", "shannon",
    "shockley", "sinoussi", "stonebraker", "swartz", "tesla", "thompson",
    "torvalds", "turing", "varahamihira", "villani", "wescoff", "wiles",
    "williams", "wilson", "wing", "wozniak", "wright", "yalow", "yonath"
};


#define sls_nelts(a)  (sizeof(a) / sizeof((a)[0]))


int
sls_name_valid(const char *name, size_t len)
{
    size_t  i;
    char    ch;

    if (len && name[0] == '/') {
        name++;
        len--;
    }

    if (len < 2) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        ch = name[i];

        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')
            || (ch >= '0' && ch <= '9'))
        {
            continue;
        }

        if (i > 0 && (ch == '_' || ch == '.' || ch == '-')) {
            continue;
        }

        return 0;
    }

    return 1;
}


void
sls_name_random(char *buf, size_t size, uint32_t r1, uint32_t r2)
{
    const char  *a, *s;

    a = sls_adjectives[r1 % sls_nelts(sls_adjectives)];
    s = sls_surnames[r2 % sls_nelts(sls_surnames)];

    if (strcmp(a, "boring") == 0 && strcmp(s, "wozniak") == 0) {
        /* Steve Wozniak is not boring */
        s = sls_surnames[(r2 + 1) % sls_nelts(sls_surnames)];
    }

    snprintf(buf, size, "%s_%s", a, s);
}
