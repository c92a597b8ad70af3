/*
 * fsdir.h - making the directories the server writes into.
 *
 * fsdir_make creates a directory and every missing parent (like
 * `mkdir -p`, mode 0755); an existing directory is not an error. It
 * returns 0 or -1 with errno set. Paths longer than 4 KiB fail with
 * ENAMETOOLONG. Nothing is allocated.
 */
#ifndef TRAVLOC_FSDIR_H
#define TRAVLOC_FSDIR_H

int fsdir_make(const char *dir);

#endif
