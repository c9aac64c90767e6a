"""Twilio: pages by SMS and phone call (client), and the webhooks Twilio calls back (SMS replies, keypresses,
delivery status). Only this package imports the twilio SDK."""
