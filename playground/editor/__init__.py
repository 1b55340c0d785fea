"""The network editor: a QGraphicsView node canvas over the session's layer list."""
