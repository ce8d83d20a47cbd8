"""The web app for hospital staff and makers: one static page that talks to the API."""
