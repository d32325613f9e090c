"""Build a million small objects and keep them: the lessons' `User` rows (list + __dict__ each)."""


class User:
    def __init__(self, name, score):
        self.name = name
        self.score = score


rows = [User(name=f"user{i}", score=i) for i in range(1_000_000)]
print(len(rows), sum(u.score for u in rows[:1000]))
