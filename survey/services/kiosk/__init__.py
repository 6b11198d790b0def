"""Kiosk tablets at service points: devices and enrolment, hand-offs from the counter."""
