// SQLite from the system (Debian's libsqlite3-dev): the sink's result store (Sources/Sink/ResultStore.swift).
#ifndef LADON_CSQLITE_H
#define LADON_CSQLITE_H

#include <sqlite3.h>

#endif
