// libmosquitto from the system (Debian's libmosquitto-dev): the sink's MQTT publisher (Sources/Sink/MQTTPublisher.swift).
#ifndef LADON_CMOSQUITTO_H
#define LADON_CMOSQUITTO_H

#include <mosquitto.h>

#endif
