/*
 * cli_out.h: where the client writes bytes it fetched (receipts, images).
 */
#ifndef ANTRE_CLI_OUT_H
#define ANTRE_CLI_OUT_H

#include <stddef.h>

#define CLI_OUT_TIMEOUT_S 10    /* connecting to and writing to a network printer */

/*
 * Writes `len` bytes to `dest`, which is one of:
 *   tcp:HOST:PORT   a network printer's raw port (usually 9100; an IPv6
 *                   address in brackets), connected with a timeout;
 *   -               standard output;
 *   a path          a character device (a USB printer, /dev/usb/lp0), opened
 *                   as it is; or a file, created or truncated (mode 0644).
 * A path under /dev/ that does not exist is an error rather than a new
 * file: that is an unplugged printer.
 * 0, or -1 with a message in err (errsize bytes).
 */
int cli_out_write(const char *dest, const void *buf, size_t len, char *err, size_t errsize);

#endif
