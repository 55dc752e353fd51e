"""The topic filter: is an entry or article about what we watch?"""
