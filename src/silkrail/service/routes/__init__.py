"""One router per resource; ``service.app`` composes them."""
