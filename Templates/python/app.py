"""{{name}}: one method per export of wit/world.wit, in a class named WitWorld.

build.sh turns this module into a component with componentize-py, which generates the
bindings (the wit_world package) from wit/. README.md lists the type mapping.
"""
import wit_world
from componentize_py_types import Err
from wit_world import Point


def s32(value):
    """Wraps an integer to a signed 32-bit value, as s32 arithmetic does."""
    return (value + 2**31) % 2**32 - 2**31


class WitWorld(wit_world.WitWorld):
    def greet(self, name: str) -> str:
        return "Hello, " + name + "!"

    def add(self, a: int, b: int) -> int:
        return (a + b) % 2**32

    def move(self, p: Point, dx: int, dy: int) -> Point:
        return Point(x=s32(p.x + dx), y=s32(p.y + dy))

    def divide(self, a: int, b: int) -> int:
        # result<s32, string>: return the ok value, raise Err(...) for the error.
        if b == 0:
            raise Err("division by zero")
        if a == -2**31 and b == -1:
            raise Err("overflow")
        quotient = abs(a) // abs(b)
        return quotient if (a < 0) == (b < 0) else -quotient

    def words(self, text: str) -> list[str]:
        return [word for word in text.split(" ") if word]

    def find(self, items: list[str], needle: str) -> int | None:
        return items.index(needle) if needle in items else None
