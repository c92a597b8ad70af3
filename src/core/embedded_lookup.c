#include "core/embedded.h"

#include <string.h>

const embedded_file_t *embedded_asset(const char *name)
{
    for (int i = 0; i < embedded_assets_count; i++)
        if (strcmp(embedded_assets[i].name, name) == 0)
            return &embedded_assets[i];
    return NULL;
}
