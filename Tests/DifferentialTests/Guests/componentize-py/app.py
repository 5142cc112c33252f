import wit_world

class WitWorld(wit_world.WitWorld):
    def greet(self, name: str) -> str:
        return "Hello, " + name + "!"

    def add(self, a: int, b: int) -> int:
        return (a + b) & 0xFFFFFFFF
