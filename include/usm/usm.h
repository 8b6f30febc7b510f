/* libusm: the C SDK core for Webex Unified Space Meetings. Include this. */
#ifndef USM_H
#define USM_H

/**
 * @file usm.h
 * Umbrella header: includes every public libusm header.
 */

#include <usm/version.h>
#include <usm/common.h>
#include <usm/client.h>
#include <usm/destination.h>
#include <usm/rest.h>
#include <usm/media.h>
#include <usm/meeting.h>

#endif
