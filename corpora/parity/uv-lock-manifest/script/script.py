# /// script
# requires-python = ">=3.11"
# dependencies = ["six==1.17.0"]
# ///
import six

print(six.PY3)
