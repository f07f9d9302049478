"""The NOC wall screen: the document it shows, and the hub that pushes it."""
